"""The explorer page in a real browser: headless Chromium driven by Playwright.

The pages are opened from files with every request that is not for that file refused; the tests
step them with the buttons and keys of the documented contract and read the ``data-value`` /
``data-grad`` attributes back. What a reader sees is held as numbers: the node text's size in
CSS pixels (from the page's own transform) at a projector's, a monitor's and a phone's size,
the step's boxes inside the view at every step, the legend's colours apart (for colour-blind
readers too), the controls' size on a phone. Skipped where Playwright or Chromium is missing.
"""

from __future__ import annotations

import colorsys
import itertools
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

# `browser` is the suite's (tests/conftest.py); `needs_browser` skips where it cannot start.
pytestmark = [
    pytest.mark.needs_browser,
    pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot"),
]

#: The screens a teacher meets: a projector, a monitor, a phone held upright.
SCREENS = {"1366x768": (1366, 768), "1920x1080": (1920, 1080), "390x844": (390, 844)}
#: The least size of the boxes' text when the page opens, in CSS pixels.
READABLE = {"1366x768": 11.0, "1920x1080": 11.0, "390x844": 9.0}
FORWARD = 26  # the worked example's operations



class Page:
    """A page opened from a file, recording console errors and refusing every other request.

    A phone-sized screen is a touch screen. `motion=False` asks for reduced motion, so that the
    view moves at once rather than over a few frames."""

    def __init__(self, browser: Any, path: Path, screen: tuple[int, int] = (1280, 800),
                 motion: bool = True) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        phone = screen[0] < 600
        self.context = browser.new_context(
            viewport={"width": screen[0], "height": screen[1]}, has_touch=phone,
            is_mobile=phone, reduced_motion="no-preference" if motion else "reduce")
        self.page = self.context.new_page()
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

    def go(self, step: int) -> None:
        self.page.locator("#slider").fill(str(step))

    def swept(self, name: str) -> int:
        """The step at which the backward sweep reaches the node called `name`."""
        return int(self.page.evaluate("""(name) => JSON.parse(document.getElementById(
            "kuibu-data").textContent).nodes.find((n) => n.name === name).backward""", name))

    def view(self) -> list[float]:
        """The part of the drawing in view: x, y, width, height in the drawing's units."""
        box = self.page.locator("#graph").get_attribute("data-view") or ""
        return [float(v) for v in box.split()]

    def text_px(self) -> float:
        """The size in CSS pixels of the boxes' text: its font size in the drawing's units
        times the scale of the page's own transform (the SVG's screen matrix)."""
        px: float = self.page.evaluate("""() => {
            const m = document.getElementById("graph").getScreenCTM();
            const sizes = [...document.querySelectorAll(".box:not(.off) text")]
                .map((t) => parseFloat(getComputedStyle(t).fontSize));
            return Math.min(...sizes) * Math.hypot(m.a, m.b);
        }""")
        return px

    def close(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests == [], self.requests
        self.context.close()


def mlp_loss() -> Value:
    model = MLP(3, [4, 4, 1], rng=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1"), Value(2.0, label="x2")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    return loss


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Value], Value]:
    params = build()
    nodes = forward(params)
    E = nodes["E"]
    path = explore(E, lr=0.5, subtitle="Mazur's 2-2-2 network").save(
        tmp_path_factory.mktemp("explorer") / "worked.html")
    E.backward()
    return path, params, E


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The pages whose text must read when they open."""
    where = tmp_path_factory.mktemp("pages")
    E = forward(build())["E"]
    loss = mlp_loss()
    return {
        "worked": explore(E).save(where / "worked.html"),
        "worked-zh": explore(E, lang="zh").save(where / "worked-zh.html"),
        "mlp": explore(loss).save(where / "mlp.html"),
        "mlp-neurons": explore(loss, view="neurons").save(where / "mlp-neurons.html"),
    }


@pytest.fixture
def page(browser: Any, worked: tuple[Path, dict[str, Value], Value]) -> Iterator[Page]:
    p = Page(browser, worked[0])
    yield p
    p.close()


def forward_steps(root: Value) -> int:
    return sum(1 for n in topological_order(root) if not n.is_leaf)


# -- the contract: stepping, numbers, keys -------------------------------------------------------


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
    assert page.page.locator("#subtitle").inner_text() == "Mazur's 2-2-2 network"


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
    assert page.button("Next step").is_enabled()  # one more: the table of gradients
    page.button("Next step").click()
    assert page.button("Next step").is_disabled() and page.button("Previous step").is_enabled()
    page.page.keyboard.press("ArrowRight")
    assert page.step() == forward_steps(E) + len(order) + 1
    page.button("Reset").click()
    assert page.button("Previous step").is_disabled() and page.button("Next step").is_enabled()


def test_the_last_step_tables_the_gradients_with_the_exact_numbers_on_demand(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, params, E = worked
    last = forward_steps(E) + len(topological_order(E)) + 1
    page.go(last)
    assert page.page.locator("#step-title").inner_text() == "The gradients"
    table = page.page.locator("#final")
    assert table.is_visible()
    head = table.locator("th").all_inner_texts()
    assert head == ["leaf", "value", "∂E/∂w", "w − lr·∂E/∂w"]
    row = table.locator("tr", has=page.page.locator("td", has_text=re.compile("^w5$")))
    cells = row.locator("td")
    assert cells.all_inner_texts() == ["w5", "0.4", "0.082167", "0.358916"]
    assert cells.nth(2).get_attribute("title") == repr(params["w5"].grad)
    assert cells.nth(3).get_attribute("title") == repr(0.4 - 0.5 * params["w5"].grad)
    # Every box's exact numbers on hover: its tooltip.
    tip = page.page.locator('[data-name="w1"] > title').text_content() or ""
    assert f"grad = {params['w1'].grad!r}" in tip and "data = 0.15" in tip


def test_halfway_through_the_backward_pass_only_reached_nodes_have_a_grad(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, _, E = worked
    order = topological_order(E)
    half = len(order) // 2
    page.go(forward_steps(E) + half)
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
    page.page.wait_for_timeout(1100)
    assert page.step() == at and page.button("Play").count() == 1


# -- what each step says and marks ----------------------------------------------------------------


def test_each_backward_step_shows_its_chain_rule_line(page: Page) -> None:
    for _ in range(page.swept("out_o1")):
        page.button("Next step").click()
    text = page.page.locator("#step-text").inner_text()
    # out_o1's one user is the unlabelled 0.01 − out_o1, named by Naming
    assert re.search(r"∂E/∂out_o1 = ∂E/∂(\w+) × ∂\1/∂out_o1 = \(−0.741365\) × \(−1\) = 0.741365",
                     text), text
    assert "out_o1·(1 − out_o1) = 0.186816" in text
    assert page.page.locator(".value.current").get_attribute("data-name") == "out_o1"


def test_a_node_with_two_users_shows_the_sum(page: Page) -> None:
    page.go(page.swept("out_h1"))
    text = page.page.locator("#step-text").inner_text()
    assert "is the sum of 2 terms, one per use of out_h1" in text
    assert "= 0.0363503" in text


def test_a_forward_step_marks_the_inputs_it_reads(page: Page) -> None:
    page.go(4)  # net_h1 = n3 + b1
    assert page.page.locator(".box.current").get_attribute("data-name") == "net_h1"
    read = page.page.eval_on_selector_all(".box.receiving", "els => els.map(e => e.dataset.name)")
    assert sorted(read) == ["b1", "n3"]
    assert page.page.locator(".edge.active").count() == 3  # n3 → +, b1 → +, + → net_h1
    assert page.page.locator(".factors text").count() == 0  # factors are the backward pass's


def test_a_backward_step_writes_the_local_factor_on_its_edges(page: Page) -> None:
    page.go(page.swept("out_h2"))  # out_h2 = σ(net_h2) sends to net_h2
    assert page.page.locator(".box.current").get_attribute("data-name") == "out_h2"
    assert page.page.eval_on_selector_all(".box.receiving", "els => els.map(e => e.dataset.name)"
                                          ) == ["net_h2"]
    factors = page.page.locator(".factors text")
    assert factors.all_text_contents() == ["×0.240613"]
    page.go(FORWARD + 1)  # E = n17 · 0.5: the factor of n17 is the constant
    assert factors.all_text_contents() == ["×0.5"]


def test_clicking_w1_shows_its_two_paths_and_their_sum(
    page: Page, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    _, params, E = worked
    page.page.locator('[data-name="w1"]').click()  # in view when the page opens
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
    # The paths' halo: a box per node on them (w1 among them, selected), an edge per link.
    assert page.page.locator(".halos rect").count() == len(on_path)
    assert page.page.locator(".halos rect.selected").count() == 1
    assert page.page.locator(".halos circle").count() == len(on_path) - 1  # w1 has no operation
    assert page.page.locator(".halos path").count() >= 2 * (len(on_path) - 2)
    facts = page.page.locator("#info-facts dd").all_inner_texts()
    assert facts[1] == "0.15"  # the exact value, on demand
    assert f"the sweep reaches it at step {page.swept('w1')}" in facts[2]


def test_a_screenshot_is_not_blank(page: Page, tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image", reason="needs Pillow to read the screenshot")
    page.page.screenshot(path=str(tmp_path / "shot.png"))
    img = image_module.open(tmp_path / "shot.png").convert("L")
    # A blank page's pixels hardly vary; a drawn graph's do.
    assert statistics.pvariance(img.tobytes()) > 100


# -- readable where it opens, and following the step ---------------------------------------------


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("name", ["worked", "worked-zh", "mlp", "mlp-neurons"])
def test_the_text_reads_when_the_page_opens(browser: Any, pages: dict[str, Path], name: str,
                                            screen: str) -> None:
    p = Page(browser, pages[name], SCREENS[screen])
    px = p.text_px()
    assert px >= READABLE[screen], f"{name} at {screen}: node text {px:.2f} px"
    # And the view shows a part of the graph worth reading, not a corner of it.
    inside = p.page.evaluate("""() => {
        const stage = document.getElementById("stage").getBoundingClientRect();
        return [...document.querySelectorAll(".box:not(.off)")].filter((el) => {
            const r = el.getBoundingClientRect();
            return r.left >= stage.left && r.right <= stage.right && r.top >= stage.top &&
                r.bottom <= stage.bottom;
        }).length;
    }""")
    assert inside >= 3, f"{name} at {screen}: {inside} boxes in view"
    p.close()


def test_a_networks_neuron_view_fits_a_slide(browser: Any, pages: dict[str, Path]) -> None:
    p = Page(browser, pages["mlp-neurons"], SCREENS["1920x1080"])
    px = p.text_px()
    outside = p.page.evaluate("""() => {
        const stage = document.getElementById("stage").getBoundingClientRect();
        return [...document.querySelectorAll(".box:not(.off)")].filter((el) => {
            const r = el.getBoundingClientRect();
            return !(r.left >= stage.left && r.right <= stage.right && r.top >= stage.top &&
                r.bottom <= stage.bottom);
        }).length;
    }""")
    assert outside == 0 and px >= 12
    assert p.page.locator(".unit:not(.off)").count() == 9
    assert p.page.locator("#minimap").is_hidden()  # nothing to find: all of it is in view
    p.close()


FOLLOW = """() => {
    // Step through the whole timeline inside the page; after each step, where the step's boxes
    // (its node and the inputs it reads or sends to) are, relative to the stage.
    const next = document.getElementById("next");
    const stage = document.getElementById("stage").getBoundingClientRect();
    const out = [];
    while (!next.disabled) {
        next.click();
        const boxes = [...document.querySelectorAll(".box.current, .box.receiving")];
        const current = document.querySelector(".box.current");
        let worst = Infinity;
        for (const el of boxes) {
            const r = el.getBoundingClientRect();
            worst = Math.min(worst, r.left - stage.left, stage.right - r.right,
                             r.top - stage.top, stage.bottom - r.bottom);
        }
        const c = current ? current.getBoundingClientRect() : null;
        out.push({ step: +document.getElementById("slider").value, count: boxes.length,
                   worst, name: current ? current.id : "",
                   centre: c ? [(c.left + c.right) / 2 - stage.left,
                                (c.top + c.bottom) / 2 - stage.top] : null,
                   stage: [stage.width, stage.height],
                   view: document.getElementById("graph").dataset.view });
    }
    return out;
}"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_step_keeps_its_node_and_its_inputs_in_view(browser: Any, pages: dict[str, Path],
                                                         screen: str) -> None:
    p = Page(browser, pages["worked"], SCREENS[screen], motion=False)
    start = p.text_px()
    seen = p.page.evaluate(FOLLOW)
    layout = p.page.evaluate("""() => Object.values(JSON.parse(
        document.getElementById("kuibu-data").textContent).layouts)[0]""")
    right, bottom = layout["w"] + 10, layout["h"] + 10  # the drawing's edges, margin included
    assert len(seen) == FORWARD + 40 + 1  # forward, a backward step per node, the table
    for s in seen[:-1]:  # the last step is the table: no node of its own
        assert s["count"] >= 1 and s["worst"] >= 0, s  # every box of the step wholly in view
        width, height = s["stage"]
        x, y = s["centre"]
        vx, vy, vw, vh = (float(v) for v in s["view"].split())
        # The node itself in the middle of the view, not at its edge, unless the view stands
        # at the drawing's edge (it never shows past it).
        assert 0.1 * width <= x or vx <= -9.99, s
        assert x <= 0.9 * width or vx + vw >= right - 0.01, s
        assert 0.1 * height <= y or vy <= -9.99, s
        assert y <= 0.9 * height or vy + vh >= bottom - 0.01, s
        # Never past the drawing's edge, where the drawing is larger than the view.
        if vw <= right + 10:
            assert vx >= -10.01 and vx + vw <= right + 0.01, s
        if vh <= bottom + 10:
            assert vy >= -10.01 and vy + vh <= bottom + 0.01, s
    assert p.text_px() >= min(start, READABLE[screen])  # and still readable
    p.close()


def test_the_view_pans_smoothly_and_stays_on_the_graph(
    browser: Any, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    p = Page(browser, worked[0], SCREENS["1366x768"])
    before = p.view()
    shown: list[str] = p.page.evaluate("""async () => {
        // What the screen shows, frame by frame, as the view glides to E.
        const svg = document.getElementById("graph"), seen = [];
        const slider = document.getElementById("slider");
        slider.value = "26";  // the last forward step, E: at the far end of the graph
        slider.dispatchEvent(new Event("input"));
        for (let k = 0; k < 60 && (k < 2 || svg.dataset.moving); k++) {
            await new Promise((done) => requestAnimationFrame(done));
            seen.push(getComputedStyle(svg).transform);
        }
        return seen;
    }""")
    assert len(set(shown)) >= 4, shown  # moved over several frames, not in one jump
    assert p.page.locator("#graph").get_attribute("data-moving") is None  # and came to rest
    after = p.view()
    assert after[1] > before[1] + 300  # down to E
    home = p.page.evaluate("""() => {
        const g = JSON.parse(document.getElementById("kuibu-data").textContent).layouts;
        const layout = Object.values(g)[0];
        return [-10, -10, layout.w + 20, layout.h + 20];
    }""")
    for x, y, w, h in (before, after):  # a view wider (taller) than the graph centres it
        assert w > home[2] or (x >= home[0] - 0.01 and x + w <= home[0] + home[2] + 0.01)
        assert h > home[3] or (y >= home[1] - 0.01 and y + h <= home[1] + home[3] + 0.01)
    # The screen shows what the view says: E's box where the view puts it.
    e = p.page.locator('[data-name="E"] rect').bounding_box()
    canvas = p.page.locator("#canvas").bounding_box()
    assert e is not None and canvas is not None
    scale = canvas["width"] / after[2]
    x0, y0 = p.page.evaluate("() => JSON.parse(document.getElementById('kuibu-data')"
                             ".textContent).layouts['values:TB'].pos.v39")  # E, the last of 40
    assert e["x"] + e["width"] / 2 == pytest.approx(canvas["x"] + (x0 - after[0]) * scale, abs=1)
    assert e["y"] + e["height"] / 2 == pytest.approx(canvas["y"] + (y0 - after[1]) * scale, abs=1)
    p.close()


def test_the_overview_shows_the_part_in_view(browser: Any,
                                             worked: tuple[Path, dict[str, Value], Value]) -> None:
    p = Page(browser, worked[0], SCREENS["1366x768"], motion=False)
    minimap = p.page.locator("#minimap")
    assert minimap.is_visible()
    p.go(FORWARD + 19)
    frame = [float(p.page.locator("#minimap .frame").get_attribute(k) or "nan")
             for k in ("x", "y", "width", "height")]
    assert frame == pytest.approx(p.view(), abs=0.01)
    assert p.page.locator("#minimap rect.current").count() == 1
    # A tap on the overview moves the view there.
    before = p.view()
    box = minimap.bounding_box()
    assert box is not None
    p.page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    assert p.view()[:2] != before[:2]
    assert p.button("Map").get_attribute("aria-pressed") == "true"  # shown at first on a desk
    p.button("Fit").click()
    assert minimap.is_hidden() and p.button("Map").is_hidden()
    p.close()


def test_the_wheel_zooms_a_drag_pans_and_two_fingers_pinch(page: Page) -> None:
    start = page.view()
    page.page.mouse.move(400, 400)
    page.page.mouse.wheel(0, -300)
    zoomed = page.view()
    assert zoomed[2] < start[2]
    page.page.mouse.down()
    page.page.mouse.move(300, 350, steps=5)
    page.page.mouse.up()
    panned = page.view()
    assert panned[2] == zoomed[2] and panned[0] > zoomed[0]
    page.page.locator("#info").wait_for(state="hidden")  # a drag is not a click
    page.button("Fit").click()
    page.page.wait_for_function("() => !document.getElementById('graph').dataset.moving")
    fitted = page.view()
    layout = page.page.evaluate("""() => Object.values(JSON.parse(
        document.getElementById("kuibu-data").textContent).layouts)[0]""")
    assert fitted[2] >= layout["w"] + 20 - 0.01 and fitted[3] >= layout["h"] + 20 - 0.01
    page.page.evaluate("""() => {
        const svg = document.getElementById("graph");
        const fire = (type, id, x) => svg.dispatchEvent(new PointerEvent(type,
            {pointerId: id, clientX: x, clientY: 400, bubbles: true, pointerType: "touch"}));
        fire("pointerdown", 11, 380); fire("pointerdown", 12, 420);
        fire("pointermove", 12, 440); fire("pointermove", 11, 360);
        fire("pointerup", 11, 360); fire("pointerup", 12, 440);
    }""")
    pinched = page.view()
    assert pinched[2] == pytest.approx(fitted[2] / 2, rel=1e-4)  # the fingers spread twice as far


# -- it explains itself ----------------------------------------------------------------------------


def _linear(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


#: Machado, Oliveira and Fernandes (2009): colour vision deficiency at severity 1, on linear RGB.
_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _lab(rgb: tuple[int, int, int], vision: str | None) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, as seen with `vision` (None: typical vision)."""
    lin = [_linear(c) for c in rgb]
    if vision is not None:
        lin = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, lin, strict=True))))
               for row in _CVD[vision]]
    r, g, b = lin
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return r, g, b


def test_the_legends_states_differ_in_hue_for_every_reader(page: Page) -> None:
    colours = page.page.evaluate("""() => {
        const style = (state, property) => getComputedStyle(
            document.querySelector(`#legend [data-state="${state}"] .swatch`))[property];
        return { current: style("current", "borderTopColor"),
                 receiving: style("receiving", "borderTopColor"),
                 partial: style("partial", "color"), final: style("final", "color"),
                 path: style("path", "backgroundColor") };
    }""")
    rgb = {state: _rgb(css) for state, css in colours.items()}
    assert len(rgb) == 5
    for (a, ca), (b, cb) in itertools.combinations(rgb.items(), 2):
        ha = colorsys.rgb_to_hsv(*(c / 255 for c in ca))[0] * 360
        hb = colorsys.rgb_to_hsv(*(c / 255 for c in cb))[0] * 360
        assert min(abs(ha - hb), 360 - abs(ha - hb)) >= 25, (a, b)  # clearly different hues
        for vision in (None, *_CVD):
            la, lb = _lab(ca, vision), _lab(cb, vision)
            delta = sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5
            # ΔE 10 and more: told apart at a glance; typical vision gets far more.
            assert delta >= (40 if vision is None else 10), (a, b, vision, delta)
    # Each state has a second cue besides its colour.
    cues = page.page.evaluate("""() => {
        const s = (state) => getComputedStyle(
            document.querySelector(`#legend [data-state="${state}"] .swatch`));
        return [s("current").borderTopStyle, s("receiving").borderTopStyle,
                s("partial").fontStyle, s("final").fontStyle];
    }""")
    assert cues == ["solid", "dashed", "italic", "normal"]
    # The graph draws the states in the legend's colours.
    page.go(page.swept("out_h1"))  # current, n3 receiving... and partial sums below it
    drawn = page.page.evaluate("""() => ({
        current: getComputedStyle(document.querySelector(".box.current rect")).stroke,
        receiving: getComputedStyle(document.querySelector(".box.receiving rect")).stroke,
        partial: getComputedStyle(document.querySelector(".box .grad.partial")).fill,
        final: getComputedStyle(document.querySelector(".box .grad:not(.partial)")).fill,
    })""")
    assert {k: _rgb(v) for k, v in drawn.items()} == {k: rgb[k] for k in drawn}


def test_the_help_speaks_of_the_pointer_in_hand(browser: Any,
                                                worked: tuple[Path, dict[str, Value], Value]
                                                ) -> None:
    desk = Page(browser, worked[0], SCREENS["1366x768"])
    assert "the wheel zooms" in desk.page.locator("#help").inner_text()
    desk.close()
    phone = Page(browser, worked[0], SCREENS["390x844"])
    help_text = phone.page.locator("#help").inner_text()
    assert "pinch" in help_text and "wheel" not in help_text and "→" not in help_text
    phone.close()


# -- phones ----------------------------------------------------------------------------------------


def test_a_phone_gets_big_tap_targets_and_a_panel_that_folds(
    browser: Any, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    p = Page(browser, worked[0], SCREENS["390x844"])
    targets = p.page.evaluate("""() => [...document.querySelectorAll(
            "button, summary, input, [role=button]")]
        .filter((el) => el.offsetParent !== null || el.getClientRects().length)
        .map((el) => { const r = el.getBoundingClientRect();
                       return [el.id || el.tagName, r.width, r.height, r.right]; })""")
    assert len(targets) >= 10  # 4 steps, slider, 3 zooms, map, fold, legend
    for name, width, height, right in targets:
        assert width >= 44 and height >= 44, (name, width, height)
        assert right <= 390, name
    for name in ("Next step", "Previous step", "Reset", "Play"):
        assert p.button(name).is_visible()
    stage = p.page.locator("#stage").bounding_box()
    assert stage is not None and stage["height"] > 400
    p.page.locator("#fold").click()
    assert p.page.locator("#panel-body").is_hidden()
    assert p.page.locator("#fold").get_attribute("aria-expanded") == "false"
    folded = p.page.locator("#stage").bounding_box()
    assert folded is not None and folded["height"] > stage["height"] + 150
    p.button("Next step").click()  # the step's title stays in sight
    assert p.page.locator("#step-title").is_visible()
    p.page.locator("#fold").click()
    assert p.page.locator("#panel-body").is_visible()
    p.close()


def test_a_phone_shows_the_overview_only_when_asked(
    browser: Any, worked: tuple[Path, dict[str, Value], Value]
) -> None:
    # On a phone the overview would cover a quarter of the graph's width: it starts hidden, and
    # the Map button shows it and hides it again.
    p = Page(browser, worked[0], SCREENS["390x844"], motion=False)
    minimap, button = p.page.locator("#minimap"), p.button("Map")
    p.go(FORWARD + 19)
    assert minimap.is_hidden()
    assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
    button.click()
    assert minimap.is_visible() and button.get_attribute("aria-pressed") == "true"
    frame = [float(p.page.locator("#minimap .frame").get_attribute(k) or "nan")
             for k in ("x", "y", "width", "height")]
    assert frame == pytest.approx(p.view(), abs=0.01)
    button.click()
    assert minimap.is_hidden() and button.get_attribute("aria-pressed") == "false"
    # With the whole graph in view there is nothing to find: no overview, and no button for it.
    button.click()
    p.button("Fit").click()
    assert minimap.is_hidden() and button.is_hidden()
    assert not p.errors
    p.close()


def test_a_tap_on_a_phone_selects_a_box(browser: Any,
                                        worked: tuple[Path, dict[str, Value], Value]) -> None:
    p = Page(browser, worked[0], SCREENS["390x844"])
    p.page.locator('[data-name="w1"]').tap()
    assert p.page.locator("#info").get_attribute("data-node") == "w1"
    p.close()


# -- languages and views ---------------------------------------------------------------------------


def test_the_chinese_page_steps_in_chinese(browser: Any, pages: dict[str, Path]) -> None:
    p = Page(browser, pages["worked-zh"], SCREENS["1366x768"])
    assert p.page.locator("html").get_attribute("lang") == "zh"
    for name in ("下一步", "上一步", "重置", "播放"):
        assert p.button(name).count() == 1
    assert p.page.locator("#step-title").inner_text() == "开始"
    p.button("下一步").click()
    assert p.page.locator("#step-title").inner_text() == "前向计算：第 1 步，共 26 步"
    p.go(FORWARD + 1)
    assert p.page.locator("#step-title").inner_text() == "反向传播：第 1 步，共 40 步，节点 E"
    assert "反向传播从输出开始" in p.page.locator("#step-text").inner_text()
    assert p.page.locator("#counter").inner_text() == "第 27 步，共 67 步"
    assert p.page.locator('[data-name="E"] .grad').text_content() == "梯度 1"
    p.close()


def test_the_neuron_view_steps_a_box_per_neuron(browser: Any, pages: dict[str, Path]) -> None:
    p = Page(browser, pages["mlp"], SCREENS["1920x1080"], motion=False)
    data = p.page.evaluate("() => JSON.parse(document.getElementById('kuibu-data').textContent)")
    assert p.page.locator(".unit:not(.off)").count() == 0
    p.button("Neurons").click()
    assert p.button("Neurons").get_attribute("aria-pressed") == "true"
    assert p.page.locator(".unit:not(.off)").count() == 9
    members = data["units"][0]["members"]
    assert all(p.page.locator(f"#v{i}").get_attribute("class").endswith(" off")  # type: ignore[union-attr]
               for i in members)
    # A step inside layer0.neuron0 lights its box; its inputs x0..x2 are read.
    net = next(i for i in members if data["nodes"][i]["name"] == "layer0.neuron0.net")
    p.go(data["nodes"][net]["forward"])
    assert p.page.locator(".box.current").get_attribute("id") == "u0"
    read = p.page.eval_on_selector_all(".box.receiving", "els => els.map(e => e.dataset.name)")
    assert sorted(read) == ["x0", "x1", "x2"]
    assert p.page.locator("#u0 .data").text_content() == ""  # its output comes a step later
    p.button("Next step").click()
    assert (p.page.locator("#u0 .data").text_content() or "").startswith("data ")
    # Clicking a neuron lists what it holds.
    p.page.locator("#u0").click()
    assert p.page.locator("#info-title").inner_text() == "Neuron layer0.neuron0"
    assert p.page.locator("#info-facts dt").count() == len(members)
    assert p.text_px() >= 11
    p.button("Neurons").click()
    assert p.page.locator(".unit:not(.off)").count() == 0
    p.close()


# -- size ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_mlp_graph_steps_in_under_100_ms(browser: Any, tmp_path: Path) -> None:
    model = MLP(2, [16, 16, 1], rng=0)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    path = explore(loss).save(tmp_path / "mlp.html")
    p = Page(browser, path)
    forward_count = forward_steps(loss)
    p.go(forward_count)
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
    p.close()


def _odd_graphs() -> dict[str, Value]:
    x = Value(3.0, label="x")
    square = x * x  # one input used twice: two edges, two terms
    square.label = "square"
    model = MLP(2, [3, 1], rng=1)
    batch = sum((model([Value(float(k), label=f"x{k}0"), Value(-1.0, label=f"x{k}1")]) - 1.0) ** 2
                for k in range(2))  # two samples through the same neurons
    assert isinstance(batch, Value)
    return {"leaf": Value(2.0, label="alone"), "square": square, "batch": batch,
            "log0": Value(0.0, label="z").log()}


@pytest.mark.parametrize("name", ["leaf", "square", "batch", "log0", "no-dot"])
def test_odd_graphs_step_to_the_end_without_a_script_error(
    browser: Any, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if name == "no-dot":
        import viz.explorer.layout as layout

        monkeypatch.setattr(layout.shutil, "which", lambda program: None)
        root = forward(build())["E"]
    else:
        root = _odd_graphs()[name]
    path = explore(root, lr=0.1).save(tmp_path / f"{name}.html")
    for screen in ("1366x768", "390x844"):
        p = Page(browser, path, SCREENS[screen], motion=False)
        p.page.evaluate("""() => {
            const next = document.getElementById("next");
            while (!next.disabled) next.click();
        }""")
        assert p.page.locator("#final").is_visible()
        grads = p.attrs("grad")
        assert all(g != "" for g in grads.values())  # every node reached
        if name == "batch":
            p.button("Neurons").click()
            p.page.locator("#reset").click()
            p.page.evaluate("""() => {
                const next = document.getElementById("next");
                while (!next.disabled) next.click();
            }""")
        p.close()


def test_a_gradient_whose_every_term_has_come_is_not_drawn_as_one_so_far(page: Page) -> None:
    # A node that has received all n of its n terms before its own turn shows "(n of n)" as a
    # whole gradient (upright, the final colour); with terms still to come it is a partial one.
    found = page.page.evaluate("""() => {
        const nodes = JSON.parse(document.getElementById("kuibu-data").textContent).nodes;
        const whole = [], part = [];
        nodes.forEach((n, i) => n.sums.forEach(([at, text, done]) => {
            if (at < n.backward) (done ? whole : part).push([i, at]);
        }));
        return {whole, part};
    }""")
    assert found["whole"] and found["part"]
    for key, partial in (("whole", False), ("part", True)):
        i, at = found[key][0]
        page.go(at)
        grad = page.page.locator(f"#v{i} .grad")
        assert "partial" in (grad.get_attribute("class") or "").split() if partial else \
            "partial" not in (grad.get_attribute("class") or "").split()


def test_a_factor_never_hides_the_short_edge_it_labels(page: Page) -> None:
    # Through the whole backward pass: each label written on an active edge leaves that edge's
    # middle in sight when the edge is shorter than the label (the label stands beside it).
    last = int(page.page.get_attribute("#slider", "max") or 0)
    hidden = []
    short = 0
    for step in range(1, last + 1):
        page.go(step)
        found = page.page.evaluate("""() => {
            const labels = [...document.querySelectorAll(".factors .factor")].map(
                (t) => t.getBBox());
            const out = {short: 0, hidden: 0};
            for (const e of document.querySelectorAll(".edge.active[data-factor]")) {
                const length = e.getTotalLength(), m = e.getPointAtLength(length / 2);
                const over = labels.filter((b) => m.x >= b.x && m.x <= b.x + b.width &&
                                                  m.y >= b.y && m.y <= b.y + b.height);
                if (labels.length && length < 40) out.short += 1;
                // On its edge a label leaves 8 px of it in sight at each end, or more.
                if (over.some((b) => length < b.width + 16)) out.hidden += 1;
            }
            return out;
        }""")
        short += found["short"]
        if found["hidden"]:
            hidden.append(step)
    assert short > 0 and hidden == []
