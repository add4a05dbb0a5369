"""The explorer page in a real browser: headless Chromium driven by Playwright.

The worked example's page is opened from a file with every request that is not for that file
refused; the tests step it with the buttons and keys of the documented contract and read the
``data-value`` / ``data-grad`` attributes back. Skipped where Playwright or Chromium is missing.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd import Value, explain, topological_order
from nn import MLP
from nn.examples import build, forward
from viz.explore import explore

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs playwright (pip install playwright)")
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                             shutil.which("chromium") or "") if p and Path(p).exists()), None)
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


class Page:
    """A page opened from a file, recording console errors and refusing every other request."""

    def __init__(self, browser: Any, path: Path, viewport: tuple[int, int] = (1280, 800)) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        url = path.as_uri()

        def route(r: Any) -> None:
            if r.request.url == url:
                r.continue_()
            else:
                self.requests.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def attrs(self, which: str) -> dict[str, str]:
        """data-name -> data-value or data-grad of every value node."""
        result: dict[str, str] = self.page.eval_on_selector_all(
            "[data-name]",
            f"els => Object.fromEntries(els.map(e => [e.dataset.name, e.dataset.{which}]))",
        )
        return result

    def step(self) -> int:
        return int(self.page.locator("#slider").input_value())


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Value], Value]:
    params = build()
    nodes = forward(params)
    E = nodes["E"]
    path = explore(E).save(tmp_path_factory.mktemp("explorer") / "worked.html")
    E.backward()
    return path, params, E


@pytest.fixture
def page(browser: Any, worked: tuple[Path, dict[str, Value], Value]) -> Iterator[Page]:
    p = Page(browser, worked[0])
    yield p
    assert p.errors == [], p.errors
    assert p.requests == [], p.requests
    p.page.close()


def forward_steps(root: Value) -> int:
    return sum(1 for n in topological_order(root) if not n.is_leaf)


def test_the_page_opens_with_no_errors_no_requests_and_only_leaves_shown(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, _, root = worked
    leaves = {n.label: n for n in topological_order(root) if n.is_leaf}  # parameters, i1, i2, …
    values = page.attrs("value")
    assert {name: values[name] for name in leaves} == {n: repr(p.data) for n, p in leaves.items()}
    assert all(v == "" for name, v in values.items() if name not in leaves)
    assert set(page.attrs("grad").values()) == {""}
    for name in ("Next step", "Previous step", "Reset", "Play"):
        assert page.button(name).count() == 1


def test_stepping_to_the_end_gives_every_leaf_the_engines_gradient_exactly(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, params, E = worked
    order = topological_order(E)
    for _ in range(forward_steps(E) + len(order)):
        page.button("Next step").click()
    grads = page.attrs("grad")
    assert {name: grads[name] for name in params} == {n: repr(p.grad) for n, p in params.items()}
    assert page.attrs("value")["E"] == repr(E.data)


def test_halfway_through_the_backward_pass_only_reached_nodes_have_a_grad(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, _, E = worked
    order = topological_order(E)
    half = len(order) // 2
    page.page.locator("#slider").fill(str(forward_steps(E) + half))
    reached = {f"v{len(order) - 1 - k}" for k in range(half)}  # the sweep runs root first
    grads: dict[str, str] = page.page.eval_on_selector_all(
        "[data-name]", "els => Object.fromEntries(els.map(e => [e.id, e.dataset.grad]))"
    )
    assert {i for i, g in grads.items() if g} == reached
    by_id = {f"v{i}": n for i, n in enumerate(order)}
    for i in reached:
        assert grads[i] == repr(by_id[i].grad)


def test_previous_step_undoes_exactly_one_step(page: Page) -> None:
    seen = []
    for _ in range(40):
        seen.append((page.attrs("value"), page.attrs("grad"), page.step()))
        page.button("Next step").click()
    for k in range(39, 29, -1):
        page.button("Previous step").click()
        assert (page.attrs("value"), page.attrs("grad"), page.step()) == seen[k]


def test_the_keys_step_forward_and_back(page: Page) -> None:
    page.page.locator("body").press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.step() == 2
    page.page.keyboard.press("ArrowLeft")
    assert page.step() == 1
    page.button("Reset").click()
    assert page.step() == 0


def test_play_runs_and_pauses(page: Page) -> None:
    page.button("Play").click()
    page.button("Pause").wait_for()
    deadline = time.monotonic() + 10
    while page.step() < 2 and time.monotonic() < deadline:
        page.page.wait_for_timeout(100)
    assert page.step() >= 2
    page.button("Pause").click()
    at = page.step()
    page.page.wait_for_timeout(900)
    assert page.step() == at and page.button("Play").count() == 1


def test_each_backward_step_shows_its_chain_rule_line(page: Page) -> None:
    for _ in range(26 + 15):  # 26 operations forward, then out_o1 is the sweep's 15th node
        page.button("Next step").click()
    text = page.page.locator("#step-text").inner_text()
    # out_o1's one user is the unlabelled 0.01 − out_o1, named by Naming
    assert re.search(r"∂E/∂out_o1 = ∂E/∂(\w+) × ∂\1/∂out_o1 = \(−0.741365\) × \(−1\) = 0.741365",
                     text), text
    assert "out_o1·(1 − out_o1) = 0.186816" in text
    assert page.page.locator(".value.current").get_attribute("data-name") == "out_o1"


def test_a_node_with_two_users_shows_the_sum(page: Page) -> None:
    page.page.locator("#slider").fill(str(26 + 29))  # out_h1, the sweep's 29th node
    text = page.page.locator("#step-text").inner_text()
    assert "is the sum of 2 terms, one per use of out_h1" in text
    assert "= 0.0363503" in text


def test_clicking_w1_shows_its_two_paths_and_their_sum(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, params, E = worked
    page.page.locator('[data-name="w1"]').click()
    info = page.page.locator("#info-text").inner_text()
    e = explain(E, params["w1"])
    assert len(e.paths) == 2
    assert info.strip() == e.text().strip()
    assert "path 2 of 2" in info and "∂E/∂w1 = 0.000668396 − 0.000229828" in info
    on_path = page.page.eval_on_selector_all(
        ".value.on-path", "els => els.map(e => e.dataset.name)"
    )
    assert {"w1", "net_h1", "out_h1", "net_o1", "net_o2", "out_o1", "out_o2", "E"} <= set(on_path)
    assert "w2" not in on_path and "out_h2" not in on_path


def test_a_screenshot_is_not_blank(page: Page, tmp_path: Path) -> None:
    image = page.page.screenshot(path=str(tmp_path / "shot.png"))
    # Bytes of a PNG of a blank page compress to almost nothing; count distinct pixels instead.
    from PIL import Image  # matplotlib's dependency, installed with the plot extra

    img = Image.open(tmp_path / "shot.png").convert("L")
    assert len(image) > 0
    assert statistics.pvariance(img.tobytes()) > 100


def test_the_wheel_zooms_a_drag_pans_and_two_fingers_pinch(page: Page) -> None:
    def view() -> list[float]:
        box = page.page.locator("#graph").get_attribute("viewBox") or ""
        return [float(v) for v in box.split()]

    start = view()
    page.page.mouse.move(400, 400)
    page.page.mouse.wheel(0, -300)
    zoomed = view()
    assert zoomed[2] < start[2]
    page.page.mouse.down()
    page.page.mouse.move(300, 350, steps=5)
    page.page.mouse.up()
    panned = view()
    assert panned[2] == zoomed[2] and panned[0] > zoomed[0]
    page.page.locator("#info").wait_for(state="hidden")  # a drag is not a click
    page.button("Fit").click()
    assert view() == start
    page.page.evaluate("""() => {
        const svg = document.getElementById("graph");
        const fire = (type, id, x) => svg.dispatchEvent(new PointerEvent(type,
            {pointerId: id, clientX: x, clientY: 400, bubbles: true, pointerType: "touch"}));
        fire("pointerdown", 11, 380); fire("pointerdown", 12, 420);
        fire("pointermove", 12, 520); fire("pointermove", 11, 280);
        fire("pointerup", 11, 280); fire("pointerup", 12, 520);
    }""")
    pinched = view()
    assert pinched[2] == pytest.approx(start[2] / 6, rel=1e-6)


def test_phone_viewport_keeps_the_controls_and_the_graph_in_view(
    browser: Any, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    p = Page(browser, worked[0], viewport=(390, 844))
    for name in ("Next step", "Previous step", "Reset", "Play"):
        box = p.button(name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    stage = p.page.locator("#stage").bounding_box()
    assert stage is not None and stage["height"] > 250
    assert p.errors == [] and p.requests == []
    p.page.close()


@pytest.mark.slow
def test_an_mlp_graph_steps_in_under_100_ms(browser: Any, tmp_path: Path) -> None:
    model = MLP(2, [16, 16, 1], rng=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    path = explore(loss).save(tmp_path / "mlp.html")
    p = Page(browser, path)
    forward_count = forward_steps(loss)
    p.page.locator("#slider").fill(str(forward_count))
    # Timed inside the page, from the click to the next frame that shows the step, so that
    # the driver's own round trips (tens of ms on a busy machine) are not counted.
    timings: list[float] = p.page.evaluate("""async () => {
        const next = document.getElementById("next"), times = [];
        for (let k = 0; k < 40; k++) {
            const start = performance.now();
            next.click();
            await new Promise((done) => requestAnimationFrame(() => done(null)));
            times.push(performance.now() - start);
        }
        return times;
    }""")
    assert statistics.median(timings) < 100, timings
    assert p.page.locator(".value.current").count() == 1
    assert p.step() == forward_count + 40
    # And end to end through the driver, keyboard included, with room for a busy machine.
    start = time.perf_counter()
    for _ in range(10):
        p.page.keyboard.press("ArrowRight")
    assert p.step() == forward_count + 50
    assert (time.perf_counter() - start) / 10 < 0.5
    assert p.errors == [] and p.requests == []
    p.page.close()
