// The kuibu explorer: steps through a computation graph's forward and backward passes.
//
// Everything this script shows was written into the page by Python: the engine's numbers (as
// Python's repr prints them, and in the page's one precision), the names, the text of every
// step and every sentence in the reader's language. It computes no number; it decides, for
// the current step, which of them are visible, and where the reader looks.
//
// The timeline: step 0 shows the leaves' values (the inputs and parameters are given); then
// one forward step per operation, in topological order (its value appears); then one backward
// step per node, in the engine's sweep order (its gradient is complete; it sends upstream
// gradient × local partial to each input, whose gradient so far grows); then the gradients.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("kuibu-data").textContent);
  const W = data.words;
  const fill = (text, fields) =>
    text.replace(/\{(\w+)\}/g, (m, k) => (k in fields ? String(fields[k]) : m));
  const nodes = data.nodes;
  const steps = data.steps;
  const last = steps.length;
  const forwardCount = steps.filter((s) => s.kind === "forward").length;
  const backwardCount = steps.filter((s) => s.kind === "backward").length;
  const $ = (id) => document.getElementById(id);
  const svg = $("graph");
  const stage = $("stage");
  const canvas = $("canvas"); // the surface the graph is dragged and zoomed on
  // It clips the graph; nothing may scroll it (a focused box would, in older browsers).
  canvas.addEventListener("scroll", () => { canvas.scrollLeft = 0; canvas.scrollTop = 0; });
  const SVGNS = svg.namespaceURI; // the SVG namespace, without writing an address
  const els = nodes.map((_, i) => $("v" + i));
  const texts = els.map((el) => ({
    data: el.querySelector(".data"), grad: el.querySelector(".grad"),
    title: el.querySelector("title"),
  }));
  const units = data.units;
  const unitEls = units.map((_, u) => $("u" + u));
  const unitTexts = unitEls.map((el) => ({
    data: el.querySelector(".data"), grad: el.querySelector(".grad"),
    title: el.querySelector("title"),
  }));
  const unitOfRep = new Map(units.map((u, k) => [u.rep, k]));
  const users = nodes.map(() => []);
  nodes.forEach((n, i) => { for (const j of n.inputs) users[j].push(i); });
  // Every shape a placement can move, and each view's edges by their two ends.
  const shapes = [...svg.querySelectorAll(".box, .op, .const")];
  const edgeList = {};
  const edgeByEnds = {};
  for (const e of svg.querySelectorAll(".edge")) {
    const v = e.dataset.view;
    (edgeList[v] = edgeList[v] || []).push(e);
    const map = (edgeByEnds[v] = edgeByEnds[v] || new Map());
    const key = e.dataset.tail + ">" + e.dataset.head;
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(e);
  }
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const touch = window.matchMedia("(pointer: coarse)").matches || navigator.maxTouchPoints > 0;
  document.body.classList.toggle("touch", touch);

  let step = 0;
  let mode = data.view; // "values" or "neurons"
  let layout = null; // the placement shown
  let home = null; // the whole graph, in the drawing's units

  const boxId = (i) => data.boxOf[mode][i];
  const boxEl = (i) => $(boxId(i));
  // The shape an input's edge runs into: the node's operation, or its neuron's box (a leaf,
  // which has no input: its own box).
  const entryId = (i) => (boxId(i)[0] === "u" || nodes[i].leaf ? boxId(i) : "v" + i + "_op");
  const edgesBetween = (tail, head) => edgeByEnds[mode].get(tail + ">" + head) || [];

  // -- one node's display at the current step --------------------------------------------------
  function gradShown(n) {
    // The complete gradient, or the gradient so far: the latest contribution sent by this step.
    if (step >= n.backward) return { text: n.gradText, partial: false };
    // The last of them ("n of n") is the whole gradient already: not shown as a partial one.
    let sum = "", whole = false;
    for (const [at, text, done] of n.sums) {
      if (at <= step) { sum = text; whole = done; }
      else break;
    }
    return { text: sum, partial: sum !== "" && !whole };
  }
  function tooltip(n, shown, complete) {
    const lines = [n.definition ? n.name + " = " + n.definition : n.name + " " + W.a_leaf];
    if (shown) lines.push(W.data + " = " + n.valueExact);
    if (complete) lines.push(W.grad + " = " + n.gradExact);
    return lines.join("\n");
  }
  function paint(t, n) {
    const shown = step >= n.forward;
    const g = gradShown(n);
    t.data.textContent = shown ? W.data + " " + n.valueText : "";
    t.grad.textContent = g.text ? W.grad + " " + g.text : "";
    t.grad.classList.toggle("partial", g.partial);
    t.title.textContent = tooltip(n, shown, step >= n.backward);
  }
  function render(i) {
    const n = nodes[i], el = els[i];
    el.dataset.value = step >= n.forward ? n.value : "";
    el.dataset.grad = step >= n.backward ? n.grad : "";
    paint(texts[i], n);
    if (unitOfRep.has(i)) {
      const u = unitOfRep.get(i);
      paint(unitTexts[u], n);
      // A batch: the box shows the neuron's last sample, and says so.
      const t = unitTexts[u];
      if (units[u].samples > 1 && t.data.textContent) {
        t.data.textContent += " " + W.last_sample.replace("{n}", units[u].samples);
      }
      t.title.textContent = units[u].name + "\n" + t.title.textContent;
    }
  }

  // -- the current step's highlight and text -----------------------------------------------------
  let lit = [];
  const factors = svg.querySelector(".factors");
  function light(el, name) { el.classList.add(name); lit.push([el, name]); }
  function highlight() {
    for (const [el, name] of lit) el.classList.remove(name);
    lit = [];
    factors.replaceChildren();
    document.querySelectorAll("#minimap .current").forEach((r) => r.classList.remove("current"));
    const s = steps[step - 1];
    if (!s || s.kind === "final") return;
    const i = s.node, me = boxId(i), entry = entryId(i);
    light($(me), "current");
    const mini = minimapRects.get(me);
    if (mini) mini.classList.add("current");
    // A forward step reads its inputs; a backward step sends to them.
    for (const j of new Set(nodes[i].inputs)) {
      if (boxId(j) !== me) light($(boxId(j)), "receiving");
      for (const e of edgesBetween(boxId(j), entry)) {
        light(e, "active");
        if (s.kind === "backward" && e.dataset.factor) label(e);
      }
    }
    if (entry !== me) {
      light($(entry), "active");
      for (const e of edgesBetween(entry, me)) light(e, "active");
    }
  }
  // The local derivative an edge multiplies by, written on the edge (the text is Python's).
  function label(edge) {
    const length = edge.getTotalLength();
    const at = edge.getPointAtLength(length / 2);
    const t = document.createElementNS(SVGNS, "text");
    t.setAttribute("class", "factor");
    t.setAttribute("x", at.x.toFixed(1));
    t.setAttribute("y", (at.y + 4).toFixed(1));
    t.textContent = edge.dataset.factor;
    factors.append(t);
    // An edge shorter than its label would vanish under it, arrowhead and all: the label
    // then stands beside the edge's middle instead of on it.
    const width = t.getComputedTextLength();
    if (length < width + 16) t.setAttribute("x", (at.x + width / 2 + 6).toFixed(1));
  }

  function describe() {
    const s = steps[step - 1];
    const table = $("final");
    table.hidden = true;
    if (!s) {
      $("step-title").textContent = W.start;
      $("step-text").textContent = fill(W.start_text, { forward: forwardCount,
                                                        backward: backwardCount });
    } else if (s.kind === "forward") {
      $("step-title").textContent = fill(W.forward_title, { k: step, n: forwardCount });
      $("step-text").textContent = s.text;
    } else if (s.kind === "backward") {
      $("step-title").textContent = fill(W.backward_title, {
        k: step - forwardCount, n: backwardCount, name: nodes[s.node].name });
      $("step-text").textContent = s.text;
    } else {
      $("step-title").textContent = W.final_title;
      $("step-text").textContent = s.text;
      finalTable(s);
      table.hidden = false;
    }
    $("counter").textContent = fill(W.counter, { k: step, n: last });
    $("slider").value = String(step);
    $("next").disabled = step === last;
    $("prev").disabled = step === 0;
  }
  // The closing table: each row's numbers as Python wrote them, the exact ones on hover.
  let tableBuilt = false;
  function finalTable(s) {
    if (tableBuilt) return;
    tableBuilt = true;
    const head = document.createElement("tr");
    for (const text of s.head) {
      const th = document.createElement("th");
      th.textContent = text;
      head.append(th);
    }
    $("final").tHead.append(head);
    for (const row of s.rows) {
      const tr = document.createElement("tr");
      const cells = [[row[0], ""], [row[1], row[3]], [row[2], row[4]]];
      if (row.length > 5) cells.push([row[5], row[6]]);
      for (const [text, exact] of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        if (exact) td.title = exact;
        tr.append(td);
      }
      $("final").tBodies[0].append(tr);
    }
  }

  // -- moving along the timeline -----------------------------------------------------------------
  // Only the nodes the steps between the old and new positions touch are redrawn, so a step
  // costs the same on a graph of 40 nodes or of 2,000.
  function go(target) {
    target = Math.max(0, Math.min(last, target));
    const lo = Math.min(step, target), hi = Math.max(step, target);
    step = target;
    const touched = new Set();
    for (let k = lo; k < hi; k++) {
      const s = steps[k];
      if (s.kind === "final") continue;
      touched.add(s.node);
      if (s.kind === "backward") for (const j of nodes[s.node].inputs) touched.add(j);
    }
    if (touched.size > nodes.length / 2) {
      for (let i = 0; i < nodes.length; i++) render(i);
    } else {
      for (const i of touched) render(i);
    }
    highlight();
    describe();
    follow();
    if (step === last) stop();
  }

  let timer = null;
  function setPlay(playing) {
    const b = $("play");
    b.setAttribute("aria-label", playing ? W.pause : W.play);
    b.querySelector(".word").textContent = playing ? W.pause : W.play;
    b.querySelector(".icon").textContent = playing ? "❚❚" : "▶";
  }
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    setPlay(false);
  }
  function play() {
    if (timer !== null) return stop();
    if (step === last) go(0);
    setPlay(true);
    timer = setInterval(() => go(step + 1), 900);
  }

  $("next").addEventListener("click", () => go(step + 1));
  $("prev").addEventListener("click", () => go(step - 1));
  $("reset").addEventListener("click", () => { stop(); go(0); });
  $("play").addEventListener("click", play);
  $("slider").max = String(last);
  $("slider").addEventListener("input", () => go(+$("slider").value));
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey ||
        event.metaKey) return;
    if (event.key === "ArrowRight") { go(step + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { go(step - 1); event.preventDefault(); }
  });

  // -- clicking a box: its facts, its explanation, every path from the root to it ----------------
  let selected = null; // ["node", i] or ["unit", u]
  let marked = [];
  const halos = svg.querySelector(".halos");
  function halo(el, extra) {
    const shape = el.querySelector("rect") || el.querySelector("circle");
    if (!shape) return;
    const copy = shape.cloneNode(false);
    copy.setAttribute("class", "halo" + (extra ? " " + extra : ""));
    if (el.getAttribute("transform")) copy.setAttribute("transform", el.getAttribute("transform"));
    halos.append(copy);
  }
  function haloEdge(e) {
    const copy = document.createElementNS(SVGNS, "path");
    copy.setAttribute("d", e.getAttribute("d"));
    copy.setAttribute("class", "halo");
    halos.append(copy);
  }
  function mark(el, name) { el.classList.add(name); marked.push([el, name]); }
  function select(what) {
    for (const [el, name] of marked) el.classList.remove(name);
    marked = [];
    halos.replaceChildren();
    selected = what;
    if (what === null) { $("info").hidden = true; return; }
    const i = what[0] === "unit" ? units[what[1]].rep : what[1];
    // The nodes on a path from the root down to i: i and every node that uses one of them.
    const on = new Set([i]);
    const queue = [i];
    while (queue.length) for (const u of users[queue.pop()]) if (!on.has(u)) { on.add(u); queue.push(u); }
    const boxes = new Set();
    for (const j of on) {
      mark(els[j], "on-path");
      if (els[j] !== boxEl(j)) mark(boxEl(j), "on-path");
      boxes.add(boxId(j));
      if (j === i) continue;
      const entry = entryId(j);
      for (const p of new Set(nodes[j].inputs)) {
        if (on.has(p)) for (const e of edgesBetween(boxId(p), entry)) haloEdge(e);
      }
      if (entry !== boxId(j)) {
        halo($(entry));
        for (const e of edgesBetween(entry, boxId(j))) haloEdge(e);
      }
    }
    mark(els[i], "selected");
    if (els[i] !== boxEl(i)) mark(boxEl(i), "selected");
    for (const id of boxes) halo($(id), id === boxId(i) ? "selected" : "");
    info(what);
  }
  function facts(list) {
    const dl = $("info-facts");
    dl.replaceChildren();
    for (const [term, text] of list) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = text;
      dl.append(dt, dd);
    }
  }
  function info(what) {
    $("info").hidden = false;
    if (what[0] === "unit") {
      const unit = units[what[1]];
      $("info-title").textContent = fill(W.neuron, { name: unit.name });
      facts(unit.members.map((j) => {
        const n = nodes[j], g = gradShown(n);
        const shown = step >= n.forward ? W.data + " " + n.valueText : "";
        return [n.name, shown + (g.text ? "   " + W.grad + " " + g.text : "")];
      }));
      $("info-text").textContent = nodes[unit.rep].explanation;
      $("info").setAttribute("data-node", unit.name);
      return;
    }
    const n = nodes[what[1]];
    $("info-title").textContent = fill(W.node, { name: n.name });
    const list = [
      [W.formula, n.leaf ? W.a_leaf : n.name + " = " + n.definition],
      [W.value, step >= n.forward ? n.valueExact : fill(W.not_yet, { k: n.forward })],
      [W.grad, step >= n.backward ? n.gradExact : fill(W.reached_at, { k: n.backward })],
    ];
    for (const p of n.partials) list.push([W.partial, p]);
    facts(list);
    $("info-text").textContent = n.explanation || fill(W.no_explanation, { name: n.name });
    $("info").setAttribute("data-node", n.name);
  }

  // -- where the reader looks ---------------------------------------------------------------------
  // The camera `cam` is the part of the drawing in view, in the drawing's units. The SVG keeps
  // its natural size (a unit a pixel) and the camera moves it by a CSS transform: the browser
  // then pans the drawing it has already painted, where changing the viewBox would paint the
  // whole graph again (a tenth of a second for a few hundred boxes). A smooth move is a CSS
  // transition, run by the compositor.
  let cam = null;
  let camMode = "auto"; // "auto": readable and following; "fit": the whole graph; "user"
  const box = () => canvas.getBoundingClientRect();
  // The magnification the page opens at: the boxes' 12 px text at 12 px on a monitor, 10 px on
  // a phone; and the least it zooms out to by itself to show a step whole: 11.4 px, 9.4 px.
  const phone = () => box().width < 600;
  const readable = () => (phone() ? 0.85 : 1.0);
  const least = () => (phone() ? 0.78 : 0.95);
  const scaleOf = (c) => box().width / c.w;
  const fitScale = () => Math.min(box().width / home.w, box().height / home.h);
  function clamp(c) {
    // Never further than the graph's edge: a view wider than the graph centres it.
    const x = c.w >= home.w ? home.x + (home.w - c.w) / 2
      : Math.min(Math.max(c.x, home.x), home.x + home.w - c.w);
    const y = c.h >= home.h ? home.y + (home.h - c.h) / 2
      : Math.min(Math.max(c.y, home.y), home.y + home.h - c.h);
    return { x, y, w: c.w, h: c.h };
  }
  function around(scale, cx, cy) {
    const b = box();
    const w = b.width / scale, h = b.height / scale;
    return clamp({ x: cx - w / 2, y: cy - h / 2, w, h });
  }
  let shownScale = 1, shownTransform = "", rasterScale = 0, raster = null;
  function apply(smooth = false) {
    const s = box().width / cam.w;
    shownScale = s;
    svg.dataset.view = [cam.x, cam.y, cam.w, cam.h].map((v) => v.toFixed(2)).join(" ");
    frame();
    const t = "translate(" + ((home.x - cam.x) * s).toFixed(2) + "px, " +
      ((home.y - cam.y) * s).toFixed(2) + "px) scale(" + s.toFixed(5) + ")";
    if (t === shownTransform) return;
    shownTransform = t;
    const glide = smooth && !reduceMotion;
    svg.style.transition = glide ? "transform 350ms ease-in-out" : "none";
    if (glide) svg.dataset.moving = "1";
    else delete svg.dataset.moving;
    svg.style.transform = t;
    // A layer the compositor moves keeps the sharpness it was painted at: after a zoom comes
    // to rest, have it painted again at its new size.
    if (Math.abs(s - rasterScale) > 0.05 * s) {
      clearTimeout(raster);
      raster = setTimeout(() => {
        svg.style.willChange = "auto";
        requestAnimationFrame(() => requestAnimationFrame(() => {
          svg.style.willChange = "transform";
          rasterScale = shownScale;
        }));
      }, glide ? 500 : 250);
    }
  }
  svg.addEventListener("transitionend", () => { delete svg.dataset.moving; });
  function moveTo(target, smooth) {
    cam = target;
    apply(smooth);
  }
  function fitCam() {
    const s = Math.min(fitScale(), 1.5);
    return around(s, home.x + home.w / 2, home.y + home.h / 2);
  }
  // The boxes a step is about: its node, and the inputs it reads (forward) or sends to
  // (backward). Before the first step, the first step's.
  function focusOf() {
    const s = steps[Math.max(step, 1) - 1];
    if (!s) return [];
    const i = s.kind === "final" ? nodes.length - 1 : s.node;
    const ids = [boxId(i)];
    if (s.kind !== "final") for (const j of nodes[i].inputs) ids.push(boxId(j));
    return ids;
  }
  const sizes = new Map();
  function sizeOf(id) {
    if (!sizes.has(id)) {
      const el = $(id), r = el.querySelector("rect"), c = el.querySelector("circle");
      sizes.set(id, r ? [r.width.baseVal.value, r.height.baseVal.value]
        : c ? [2 * c.r.baseVal.value, 2 * c.r.baseVal.value] : [30, 12]);
    }
    return sizes.get(id);
  }
  function bounds(ids) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const id of ids) {
      const p = layout.pos[id];
      if (!p) continue;
      const [w, h] = sizeOf(id);
      x0 = Math.min(x0, p[0] - w / 2); x1 = Math.max(x1, p[0] + w / 2);
      y0 = Math.min(y0, p[1] - h / 2); y1 = Math.max(y1, p[1] + h / 2);
    }
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }
  const MARGIN = 0.12; // the band along the view's edges the step's boxes are kept out of
  function inside(b, c, margin) {
    return b.x >= c.x + margin * c.w && b.y >= c.y + margin * c.h &&
      b.x + b.w <= c.x + (1 - margin) * c.w && b.y + b.h <= c.y + (1 - margin) * c.h;
  }
  // Keep the step's boxes in the middle of the view: pan (smoothly) when they leave it, and
  // zoom out, no further than the text reads, when they do not fit in it.
  function follow(smooth = true) {
    // The table of gradients has no node of its own: the view stays where the sweep ended.
    if (steps[step - 1] && steps[step - 1].kind === "final") return;
    const ids = focusOf();
    if (!ids.length || !layout) return;
    const b = bounds(ids);
    const now = scaleOf(cam);
    const room = 1 - 2 * MARGIN;
    const fits = Math.min(box().width * room / b.w, box().height * room / b.h);
    // Zoom out only as far as needed, and not past the least readable size (the reader's own
    // smaller zoom stays); never zoom in by itself, which would change the size at every step.
    const scale = fits < now ? Math.max(fits, Math.min(least(), now)) : now;
    if (Math.abs(scale - now) < 0.01 * now && inside(b, cam, MARGIN)) return;
    let target = around(scale, b.x + b.w / 2, b.y + b.h / 2);
    const me = bounds([ids[0]]);
    if (!inside(me, target, 0)) { // too many to show at once: the node itself comes first
      target = around(scale, me.x + me.w / 2, me.y + me.h / 2);
    }
    moveTo(target, smooth);
  }
  function opening() {
    const fits = fitScale();
    if (fits >= readable()) {
      cam = fitCam();
      apply();
      return;
    }
    const ids = focusOf();
    const b = ids.length ? bounds(ids) : { x: home.x, y: home.y, w: 0, h: 0 };
    cam = around(readable(), b.x + b.w / 2, b.y + b.h / 2);
    apply();
    follow(false);
  }

  // -- choosing a placement ------------------------------------------------------------------------
  const minimap = $("minimap");
  const minimapRects = new Map();
  let minimapFrame = null;
  // The overview covers a corner of the graph: it starts shown on a wide screen and hidden on a
  // phone's, and the Map button shows or hides it (the button itself is hidden while the whole
  // graph is in view, when there is nothing to find).
  const mapButton = $("map");
  let mapWanted = !window.matchMedia("(max-width: 700px)").matches;
  mapButton.addEventListener("click", () => { mapWanted = !mapWanted; frame(); });
  function choose() {
    const b = box();
    const key = data.views[mode][b.width >= b.height ? "wide" : "tall"];
    if (layout === data.layouts[key]) return false;
    layout = data.layouts[key];
    home = { x: -10, y: -10, w: layout.w + 20, h: layout.h + 20 };
    svg.setAttribute("viewBox", [home.x, home.y, home.w, home.h].join(" "));
    svg.style.width = home.w + "px";
    svg.style.height = home.h + "px";
    for (const el of shapes) {
      const p = layout.pos[el.id];
      if (p) {
        el.setAttribute("transform", "translate(" + p[0] + " " + p[1] + ")");
        el.classList.remove("off");
      } else {
        el.classList.add("off");
      }
    }
    for (const [v, list] of Object.entries(edgeList)) {
      list.forEach((e, k) => {
        if (v === mode) {
          e.setAttribute("d", layout.paths[k]);
          e.classList.remove("off");
        } else {
          e.classList.add("off");
        }
      });
    }
    buildMinimap();
    return true;
  }
  function buildMinimap() {
    minimap.replaceChildren();
    minimapRects.clear();
    const b = box();
    const most = b.width < 600 ? 100 : 160;
    const s = Math.min(most / home.w, (0.22 * b.height) / home.h);
    minimap.setAttribute("viewBox", [home.x, home.y, home.w, home.h].join(" "));
    minimap.setAttribute("width", (home.w * s).toFixed(0));
    minimap.setAttribute("height", (home.h * s).toFixed(0));
    for (const el of shapes) {
      if (!el.classList.contains("box") || !layout.pos[el.id]) continue;
      const [w, h] = sizeOf(el.id), p = layout.pos[el.id];
      const r = document.createElementNS(SVGNS, "rect");
      r.setAttribute("x", p[0] - w / 2); r.setAttribute("y", p[1] - h / 2);
      r.setAttribute("width", w); r.setAttribute("height", h);
      minimap.append(r);
      minimapRects.set(el.id, r);
    }
    minimapFrame = document.createElementNS(SVGNS, "rect");
    minimapFrame.setAttribute("class", "frame");
    minimap.append(minimapFrame);
  }
  function frame() {
    if (!minimapFrame) return;
    const all = cam.x <= home.x + 1 && cam.y <= home.y + 1 &&
      cam.x + cam.w >= home.x + home.w - 1 && cam.y + cam.h >= home.y + home.h - 1;
    minimap.toggleAttribute("hidden", all || !mapWanted);
    mapButton.hidden = all;
    mapButton.setAttribute("aria-pressed", String(mapWanted));
    minimapFrame.setAttribute("x", cam.x); minimapFrame.setAttribute("y", cam.y);
    minimapFrame.setAttribute("width", cam.w); minimapFrame.setAttribute("height", cam.h);
  }
  function toMinimap(event) {
    const b = minimap.getBoundingClientRect();
    const x = home.x + (event.clientX - b.left) / b.width * home.w;
    const y = home.y + (event.clientY - b.top) / b.height * home.h;
    camMode = "user";
    moveTo(clamp({ ...cam, x: x - cam.w / 2, y: y - cam.h / 2 }), false);
  }
  let minimapDown = false;
  minimap.addEventListener("pointerdown", (event) => {
    minimapDown = true;
    try { minimap.setPointerCapture(event.pointerId); } catch (error) { /* not a live pointer */ }
    toMinimap(event);
  });
  minimap.addEventListener("pointermove", (event) => { if (minimapDown) toMinimap(event); });
  minimap.addEventListener("pointerup", () => { minimapDown = false; });
  minimap.addEventListener("pointercancel", () => { minimapDown = false; });

  // -- zoom and pan by hand --------------------------------------------------------------------------
  function toGraph(clientX, clientY) {
    const b = box();
    return { x: cam.x + (clientX - b.left) / b.width * cam.w,
             y: cam.y + (clientY - b.top) / b.height * cam.h };
  }
  // Zoom by `factor` (> 1: out) about a point, within sensible bounds.
  function zoomAt(at, factor, from = cam) {
    const b = box();
    const least = Math.min(fitScale(), readable()) * 0.8;
    const scale = Math.min(4, Math.max(least, b.width / (from.w * factor)));
    const f = b.width / scale / from.w;
    camMode = "user";
    moveTo(clamp({ x: at.x - (at.x - from.x) * f, y: at.y - (at.y - from.y) * f,
                   w: from.w * f, h: from.h * f }), false);
  }
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoomAt(toGraph(event.clientX, event.clientY), Math.exp(Math.sign(event.deltaY) * 0.15));
  }, { passive: false });
  // One pointer drags (a click when it hardly moves); two fingers pinch to zoom.
  let drag = null, pinch = null;
  const pointers = new Map();
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y) || 1;
  };
  canvas.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    // Keep receiving the pointer's moves outside the graph (synthetic pointers cannot be held).
    try { canvas.setPointerCapture(event.pointerId); } catch (error) { /* not a live pointer */ }
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { spread: spread(), cam: { ...cam }, at: toGraph((a.x + b.x) / 2, (a.y + b.y) / 2) };
      drag = null;
    } else if (pointers.size === 1) {
      drag = { x: event.clientX, y: event.clientY, cam: { ...cam }, moved: false };
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2) {
      zoomAt(pinch.at, pinch.spread / spread(), pinch.cam);
      return;
    }
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    canvas.classList.add("dragging");
    const b = box();
    camMode = "user";
    moveTo(clamp({ ...drag.cam, x: drag.cam.x - dx / b.width * drag.cam.w,
                   y: drag.cam.y - dy / b.height * drag.cam.h }), false);
  });
  function release(event) {
    pointers.delete(event.pointerId);
    canvas.classList.remove("dragging");
    if (pinch) {  // the end of a pinch is no click
      if (pointers.size === 0) pinch = null;
      drag = null;
      return null;
    }
    const wasDrag = drag && drag.moved;
    drag = null;
    return wasDrag ? null : event;
  }
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerup", (event) => {
    if (!release(event)) return;
    // A click (not a drag): the box under the pointer, or nothing.
    const hit = document.elementFromPoint(event.clientX, event.clientY);
    const el = hit && hit.closest(".box");
    if (!el) select(null);
    else select(el.dataset.unit !== undefined ? ["unit", +el.dataset.unit]
      : ["node", +el.dataset.index]);
  });
  const centre = () => ({ x: cam.x + cam.w / 2, y: cam.y + cam.h / 2 });
  $("zoom-in").addEventListener("click", () => zoomAt(centre(), 1 / 1.4));
  $("zoom-out").addEventListener("click", () => zoomAt(centre(), 1.4));
  $("fit").addEventListener("click", () => { camMode = "fit"; moveTo(fitCam(), true); });

  // -- the panel, the legend, the views --------------------------------------------------------------
  $("fold").addEventListener("click", () => {
    const folded = $("panel").classList.toggle("folded");
    $("fold").setAttribute("aria-expanded", String(!folded));
    $("fold").textContent = folded ? W.unfold : W.fold;
    $("fold").title = folded ? W.unfold_title : W.fold_title;
  });
  $("view").addEventListener("click", () => {
    mode = mode === "values" ? "neurons" : "values";
    $("view").setAttribute("aria-pressed", String(mode === "neurons"));
    refresh();
  });
  // After a change of placement: the step's marks and the selection again, then the camera.
  function refresh() {
    choose();
    highlight();
    if (selected) select(selected);
    camMode = "auto";
    opening();
  }
  // The stage changes size with the window (a phone's address bar comes and goes, a phone
  // turns) and with the panel: the reader's own view keeps its zoom and centre.
  let size = "";
  new ResizeObserver(() => {
    const b = box();
    if (size === b.width + "x" + b.height || b.width === 0) return;
    size = b.width + "x" + b.height;
    if (choose()) {
      highlight();
      if (selected) select(selected);
    }
    if (camMode === "auto") opening();
    else if (camMode === "fit") { cam = fitCam(); apply(); }
    else { cam = around(shownScale, centre().x, centre().y); apply(); }
  }).observe(stage);

  if (data.note) $("note").textContent = data.note;
  if (box().width < 600) $("legend").open = false;
  choose();
  for (let i = 0; i < nodes.length; i++) render(i);
  describe();
  opening();
  size = box().width + "x" + box().height;
})();
