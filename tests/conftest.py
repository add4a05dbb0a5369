"""Shared test settings: Hypothesis runs derandomized, so a failure in CI reproduces locally."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "kuibu",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("KUIBU_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("kuibu")
