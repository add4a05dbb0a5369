"""The assets of `viz.step_page`'s page: its HTML frame, styles and script."""
