// The step page: every number here was written by Python; this script shows and hides them.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kuibu-data").textContent);
  var w = data.words;
  var svg = document.getElementById("graph");
  var NS = "http://www.w3.org/2000/svg";
  var boxes = Array.prototype.map.call(data.blocks, function (b, k) {
    return document.getElementById("block" + k);
  });
  var step = 0;
  var open = {};

  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // A block's parts, made when it is first opened and removed when it is closed: the page holds
  // each block's short list of parts, never a layout of every node.
  function expand(k) {
    var b = data.blocks[k];
    if (open[k]) {
      open[k].remove();
      delete open[k];
      boxes[k].classList.remove("open");
      return;
    }
    var g = el("g", {"class": "parts", "data-block": k});
    var h = 16;
    b.parts.forEach(function (p, j) {
      var y = b.y + b.h + 2 + j * h;
      g.appendChild(el("rect", {x: b.x, y: y, width: b.w, height: h}));
      g.appendChild(el("text", {x: b.x + 4, y: y + 12},
                       p.name + " ×" + p.count + "  " + p.values));
    });
    svg.appendChild(g);
    open[k] = g;
    boxes[k].classList.add("open");
  }

  function show(k) {
    var b = data.blocks[k];
    document.getElementById("info").hidden = false;
    document.getElementById("info-title").textContent = b.title;
    document.getElementById("info-facts").textContent = b.lines.join(" · ");
    var body = document.querySelector("#info-parts tbody");
    body.textContent = "";
    b.parts.forEach(function (p) {
      var tr = document.createElement("tr");
      [p.name, String(p.count), p.values, p.grad].forEach(function (t) {
        var td = document.createElement("td");
        td.textContent = t;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById("info-nodes").textContent = b.sample.join("\n");
    boxes.forEach(function (box, j) {
      box.classList.toggle("reader", b.readers.indexOf(j) >= 0);
    });
  }

  function go(s) {
    step = Math.max(0, Math.min(data.steps.length - 1, s));
    var st = data.steps[step];
    var backward = st.phase === "backward";
    boxes.forEach(function (box, j) {
      var f = data.blocks[j].forward, r = data.blocks[j].backward;
      box.classList.toggle("later", !backward && f > step);
      box.classList.toggle("graded", backward && r <= step);
      box.classList.toggle("current", j === st.block);
    });
    document.getElementById("slider").value = step;
    document.getElementById("counter").textContent =
      (step + 1) + " / " + data.steps.length;
    document.getElementById("step-title").textContent = st.title;
    document.getElementById("step-text").textContent = st.text;
    var box = boxes[st.block];
    if (box && box.scrollIntoView) box.scrollIntoView({block: "nearest", inline: "nearest"});
  }

  boxes.forEach(function (box, k) {
    box.addEventListener("click", function () { expand(k); show(k); });
  });
  document.getElementById("prev").onclick = function () { go(step - 1); };
  document.getElementById("next").onclick = function () { go(step + 1); };
  document.getElementById("slider").oninput = function (e) { go(+e.target.value); };
  document.getElementById("expand-all").onclick = function () {
    Object.keys(open).forEach(function (k) { expand(+k); });
  };
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.id === "slider") return;  // the slider steps by itself
    if (e.key === "ArrowRight") go(step + 1);
    if (e.key === "ArrowLeft") go(step - 1);
  });
  go(0);
  window.kuibuStep = {go: go, expand: expand, open: open};
})();
