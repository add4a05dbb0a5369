// The kuibu explorer: steps through a computation graph's forward and backward passes.
//
// Everything this script shows was written into the page by Python: the engine's numbers (as
// Python's repr prints them), the names, and the text of every step. It computes no number;
// it only decides, for the current step, which of them are visible.
//
// The timeline: step 0 shows the leaves' values (the inputs and parameters are given); then
// one forward step per operation, in topological order (its value appears); then one backward
// step per node, in the engine's sweep order (its gradient is complete; it sends
// upstream gradient × local partial to each input, whose gradient so far grows).
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("kuibu-data").textContent);
  const nodes = data.nodes;
  const steps = data.steps;
  const last = steps.length;
  const forwardCount = steps.filter((s) => s.kind === "forward").length;
  const svg = document.getElementById("graph");
  const viewport = document.getElementById("viewport");
  const $ = (id) => document.getElementById(id);
  const els = nodes.map((_, i) => $("v" + i));
  const texts = els.map((el) => ({
    data: el.querySelector(".data"),
    grad: el.querySelector(".grad"),
  }));
  // Edges by the node whose operation they feed (and the one each comes from): for highlights.
  const edgesInto = nodes.map(() => []);
  const users = nodes.map(() => []);
  for (const edge of svg.querySelectorAll(".edge.in")) {
    const from = +edge.dataset.from, to = +edge.dataset.to;
    edgesInto[to].push(edge);
    users[from].push(to);
  }
  const edgeOut = nodes.map((_, i) => svg.querySelector('.edge.out[data-to="' + i + '"]'));

  let step = 0;

  // -- one node's display at the current step --------------------------------------------------
  function render(i) {
    const n = nodes[i], el = els[i], t = texts[i];
    const shown = step >= n.forward;
    el.dataset.value = shown ? n.value : "";
    t.data.textContent = shown ? "data " + n.valueText : "";
    if (step >= n.backward) {
      el.dataset.grad = n.grad;
      t.grad.textContent = "grad " + n.gradText;
      t.grad.classList.remove("partial");
      return;
    }
    el.dataset.grad = "";
    // The gradient so far: the latest contribution a user has sent by this step.
    let sum = "";
    for (const [at, text] of n.sums) {
      if (at <= step) sum = text;
      else break;
    }
    t.grad.textContent = sum ? "grad " + sum : "";
    t.grad.classList.toggle("partial", sum !== "");
  }

  // -- the current step's highlight and text -----------------------------------------------------
  let lit = [];
  function highlight() {
    for (const el of lit) el.classList.remove("current", "target", "active");
    lit = [];
    const s = steps[step - 1];
    if (!s) return;
    const me = els[s.node];
    me.classList.add("current");
    lit.push(me);
    if (s.kind === "forward") {
      // A forward step reads its inputs through its operation.
      for (const e of edgesInto[s.node]) { e.classList.add("active"); lit.push(e); }
      if (edgeOut[s.node]) { edgeOut[s.node].classList.add("active"); lit.push(edgeOut[s.node]); }
    } else {
      for (const j of s.touch.slice(1)) { els[j].classList.add("target"); lit.push(els[j]); }
      for (const e of edgesInto[s.node]) { e.classList.add("active"); lit.push(e); }
      if (edgeOut[s.node]) { edgeOut[s.node].classList.add("active"); lit.push(edgeOut[s.node]); }
    }
  }

  function describe() {
    const s = steps[step - 1];
    if (!s) {
      $("step-title").textContent = "Start";
      $("step-text").textContent =
        "The leaves hold their values. Next step runs the forward pass (" + forwardCount +
        " operations), then the backward pass (" + (last - forwardCount) + " nodes, in the " +
        "engine's sweep order).";
    } else if (s.kind === "forward") {
      $("step-title").textContent = "Forward pass: step " + step + " of " + forwardCount;
      $("step-text").textContent = s.text;
    } else {
      $("step-title").textContent = "Backward pass: step " + (step - forwardCount) + " of " +
        (last - forwardCount) + ", node " + nodes[s.node].name;
      $("step-text").textContent = s.text;
    }
    $("counter").textContent = "step " + step + " of " + last;
    $("slider").value = String(step);
  }

  // -- moving along the timeline -----------------------------------------------------------------
  // Only the nodes the steps between the old and new positions touch are redrawn, so a step
  // costs the same on a graph of 40 nodes or of 2,000.
  function go(target) {
    target = Math.max(0, Math.min(last, target));
    const lo = Math.min(step, target), hi = Math.max(step, target);
    step = target;
    const touched = new Set();
    for (let k = lo; k < hi; k++) for (const i of steps[k].touch) touched.add(i);
    if (hi - lo > 0 && touched.size > nodes.length / 2) {
      for (let i = 0; i < nodes.length; i++) render(i);
    } else {
      for (const i of touched) render(i);
    }
    highlight();
    describe();
    if (steps[step - 1]) follow(steps[step - 1].node);
    if (step === last) stop();
  }

  let timer = null;
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "Play";
  }
  function play() {
    if (timer !== null) return stop();
    if (step === last) go(0);
    $("play").textContent = "Pause";
    timer = setInterval(() => go(step + 1), 700);
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

  // -- clicking a node: its facts, its explanation, every path from the root to it -----------------
  let marked = [];
  function select(i) {
    for (const el of marked) el.classList.remove("on-path", "selected");
    marked = [];
    if (i === null) { $("info").hidden = true; return; }
    const n = nodes[i];
    // The nodes on a path from the root down to i: i and every node that uses one of them.
    const on = new Set([i]);
    const queue = [i];
    while (queue.length) for (const u of users[queue.pop()]) if (!on.has(u)) { on.add(u); queue.push(u); }
    for (const j of on) {
      els[j].classList.add("on-path");
      marked.push(els[j]);
      if (j === i) continue;
      const op = $("v" + j + "_op");
      if (op) { op.classList.add("on-path"); marked.push(op); }
      if (edgeOut[j]) { edgeOut[j].classList.add("on-path"); marked.push(edgeOut[j]); }
      for (const e of edgesInto[j]) {
        if (on.has(+e.dataset.from)) { e.classList.add("on-path"); marked.push(e); }
      }
    }
    els[i].classList.add("selected");
    $("info").hidden = false;
    $("info-title").textContent = "Node " + n.name;
    const facts = [
      ["formula", n.leaf ? "(a leaf)" : n.name + " = " + n.definition],
      ["value", n.value],
      ["grad", n.grad + (step >= n.backward ? "" : "  (the sweep reaches it at step " +
        n.backward + ")")],
    ];
    for (const p of n.partials) facts.push(["partial", p]);
    const dl = $("info-facts");
    dl.replaceChildren();
    for (const [term, text] of facts) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = term;
      dd.textContent = text;
      dl.append(dt, dd);
    }
    $("info-text").textContent = n.explanation ||
      "This page holds no explanation for " + n.name + " (explore's explain_nodes limit); " +
      "the highlighted paths are its paths. In Python: print(explain(root, node)).";
    $("info").setAttribute("data-node", n.name);
  }

  // -- zoom and pan, by changing the SVG's viewBox -------------------------------------------------
  const full = svg.viewBox.baseVal;
  const home = { x: full.x, y: full.y, w: full.width, h: full.height };
  let view = { ...home };
  let moved = false; // whether the reader has zoomed or panned since the last fit
  function apply() { svg.setAttribute("viewBox", view.x + " " + view.y + " " + view.w + " " + view.h); }
  function fit() {
    // The whole graph, but never magnified past 1.5 times its natural size.
    const box = svg.getBoundingClientRect();
    const scale = Math.max(home.w / box.width, home.h / box.height, 1 / 1.5);
    const w = box.width * scale, h = box.height * scale;
    view = { x: home.x - (w - home.w) / 2, y: home.y - (h - home.h) / 2, w, h };
    moved = false;
    apply();
  }
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  function toGraph(clientX, clientY) {
    const box = svg.getBoundingClientRect();
    return { x: view.x + (clientX - box.left) / box.width * view.w,
             y: view.y + (clientY - box.top) / box.height * view.h };
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = toGraph(event.clientX, event.clientY);
    const factor = Math.exp(Math.sign(event.deltaY) * 0.15);
    view = { x: at.x - (at.x - view.x) * factor, y: at.y - (at.y - view.y) * factor,
             w: view.w * factor, h: view.h * factor };
    moved = true;
    apply();
  }, { passive: false });
  // One pointer drags (a click when it hardly moves); two fingers pinch to zoom.
  let drag = null, pinch = null;
  const pointers = new Map();
  const spread = () => {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y) || 1;
  };
  svg.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    // Keep receiving the pointer's moves outside the graph (synthetic pointers cannot be held).
    try { svg.setPointerCapture(event.pointerId); } catch (error) { /* not a live pointer */ }
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const at = toGraph((a.x + b.x) / 2, (a.y + b.y) / 2);
      pinch = { spread: spread(), view: { ...view }, at };
      drag = null;
    } else if (pointers.size === 1) {
      drag = { x: event.clientX, y: event.clientY, view: { ...view }, moved: false };
    }
  });
  svg.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId)) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pinch && pointers.size === 2) {
      const f = pinch.spread / spread(), at = pinch.at, v = pinch.view;
      view = { x: at.x - (at.x - v.x) * f, y: at.y - (at.y - v.y) * f, w: v.w * f, h: v.h * f };
      moved = true;
      apply();
      return;
    }
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (!drag.moved) return;
    svg.classList.add("dragging");
    const box = svg.getBoundingClientRect();
    view = { ...drag.view, x: drag.view.x - dx / box.width * view.w,
             y: drag.view.y - dy / box.height * view.h };
    moved = true;
    apply();
  });
  function release(event) {
    pointers.delete(event.pointerId);
    svg.classList.remove("dragging");
    if (pinch) {  // the end of a pinch is no click
      if (pointers.size === 0) pinch = null;
      drag = null;
      return null;
    }
    const wasDrag = drag && drag.moved;
    drag = null;
    return wasDrag ? null : event;
  }
  svg.addEventListener("pointercancel", release);
  svg.addEventListener("pointerup", (event) => {
    if (!release(event)) return;
    // A click (not a drag): the node under the pointer, or nothing.
    const hit = document.elementFromPoint(event.clientX, event.clientY);
    const el = hit && hit.closest(".value");
    select(el ? +el.dataset.index : null);
  });
  function zoom(factor) {
    const cx = view.x + view.w / 2, cy = view.y + view.h / 2;
    view = { x: cx - view.w * factor / 2, y: cy - view.h * factor / 2,
             w: view.w * factor, h: view.h * factor };
    moved = true;
    apply();
  }
  // Keep the current step's node in sight: when it is outside the view, centre the view on it.
  function follow(i) {
    const b = els[i].getBBox();
    if (b.x >= view.x && b.y >= view.y && b.x + b.width <= view.x + view.w &&
        b.y + b.height <= view.y + view.h) return;
    view = { ...view, x: b.x + b.width / 2 - view.w / 2, y: b.y + b.height / 2 - view.h / 2 };
    apply();
  }
  $("zoom-in").addEventListener("click", () => zoom(1 / 1.4));
  $("zoom-out").addEventListener("click", () => zoom(1.4));
  $("fit").addEventListener("click", fit);
  // A phone's address bar coming and going resizes the window: keep the reader's own view.
  window.addEventListener("resize", () => { if (!moved) fit(); });

  if (data.note) $("note").textContent = data.note;
  for (let i = 0; i < nodes.length; i++) render(i);
  describe();
  fit();
})();
