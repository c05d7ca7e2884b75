// Draws the poll charts. The server sends each figure as a JSON island next to its chart <div>; a live update
// replaces only the island (the div keeps its drawing, hx-morph-skip-children), and Plotly.react animates to it.
//
// A figure with layout.meta.fit = [width, height] was designed for a box of that size (app/polls/charts.py): its
// font sizes and margins are scaled here by how big the chart really is. A chart marked data-fit (the presenter's
// screen) fills its element, whatever its size, and is redrawn when that size changes; after drawing, every text
// of the chart is measured and the fonts shrink until none sticks out of the chart.
(function () {
  "use strict";
  // No mode bar: its buttons would sit inside the chart's role="img" (a nested control) and speak English.
  // The image export is our own translated button next to the chart (data-download-chart).
  var CONFIG = { displayModeBar: false, displaylogo: false, showSendToCloud: false, responsive: true };
  // The beamer: nothing to hover or click, and the size is ours to follow (see the ResizeObserver below).
  var STAGE_CONFIG = { displayModeBar: false, displaylogo: false, showSendToCloud: false, responsive: false,
                       staticPlot: true };
  var MAX_SHRINK_STEPS = 5;

  // Scale every font size, margin and stand-off in a (copied) figure by k.
  function scale(node, k) {
    if (Array.isArray(node)) {
      node.forEach(function (item) { scale(item, k); });
      return;
    }
    if (!node || typeof node !== "object") return;
    Object.keys(node).forEach(function (key) {
      var value = node[key];
      if (/font$/i.test(key) && value && typeof value === "object" && "size" in value) {
        value.size = Array.isArray(value.size) ? value.size.map(function (s) { return s * k; }) : value.size * k;
      } else if (key === "margin" && value && typeof value === "object") {
        ["l", "r", "t", "b", "pad"].forEach(function (side) { if (typeof value[side] === "number") value[side] *= k; });
      } else if ((key === "standoff" || key === "ticklen") && typeof value === "number") {
        node[key] = value * k;
        return;
      }
      if (value && typeof value === "object") scale(value, k);
    });
  }

  // How far the chart's texts stick out of the chart: 1 when all are inside, else the share that fits.
  function fits(div) {
    var box = div.getBoundingClientRect();
    if (!box.width || !box.height) return 1;
    var worst = 1;
    div.querySelectorAll("svg text").forEach(function (text) {
      var r = text.getBoundingClientRect();
      if (!r.width && !r.height) return;
      var cx = box.left + box.width / 2, cy = box.top + box.height / 2;
      // Texts are scaled about the chart's middle, more or less: how much smaller would bring this one inside?
      if (r.left < box.left - 0.5) worst = Math.min(worst, (cx - box.left) / Math.max(cx - r.left, 1));
      if (r.right > box.right + 0.5) worst = Math.min(worst, (box.right - cx) / Math.max(r.right - cx, 1));
      if (r.top < box.top - 0.5) worst = Math.min(worst, (cy - box.top) / Math.max(cy - r.top, 1));
      if (r.bottom > box.bottom + 0.5) worst = Math.min(worst, (box.bottom - cy) / Math.max(r.bottom - cy, 1));
    });
    return worst;
  }

  function render(div, figure, k, animate, attempt) {
    var fit = figure.layout.meta && figure.layout.meta.fit;
    var data = JSON.parse(JSON.stringify(figure.data));
    var layout = JSON.parse(JSON.stringify(figure.layout));
    var stage = "stage" in div.dataset;
    if (fit) {
      scale(data, k);
      scale(layout, k);
    }
    if (stage) {
      // The element sets the size (CSS); hidden (no size yet), the figure's own box is used until it shows.
      layout.width = div.clientWidth || fit[0];
      layout.height = div.clientHeight || fit[1];
      if (!animate) delete layout.transition;  // a new size or a shrink step is not news: no animation
    }
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) delete layout.transition;
    var drawing = window.Plotly.react(div, data, layout, stage ? STAGE_CONFIG : CONFIG);
    div._samenK = k;
    if (!stage || !fit || !div.clientWidth || !drawing || !drawing.then) return;
    drawing.then(function () {
      if (div._samenFigure !== figure || attempt >= MAX_SHRINK_STEPS) return;
      var share = fits(div);
      if (share < 1) render(div, figure, k * Math.max(0.5, share * 0.97), false, attempt + 1);
    });
  }

  function drawOne(island, div) {
    var text = island.textContent;
    var size = div.clientWidth + "x" + div.clientHeight;
    // Unchanged: no redraw. A live update morphs the chart's element back to the server's attributes, which
    // drops plotly's own class (js-plotly-plot): then Plotly.react must run to restore it, or plotly's styles
    // and its resize handler lose the chart.
    var same = div._samenText === text && div._samenSize === size;
    if (same && div.classList.contains("js-plotly-plot")) return;
    var figure;
    try { figure = JSON.parse(text); } catch (e) { return; }
    // New numbers in the same layout and size: let the bars move to them.
    var animate = div._samenSize === size && !!div._samenFigure &&
      JSON.stringify(div._samenFigure.layout) === JSON.stringify(figure.layout);
    div._samenText = text;
    div._samenSize = size;
    div._samenFigure = figure;
    var fit = figure.layout.meta && figure.layout.meta.fit;
    var k = 1;
    if (fit) {
      var width = div.clientWidth || fit[0];
      var height = ("stage" in div.dataset ? div.clientHeight : figure.layout.height) || fit[1];
      // The same figure at the same size (only redrawn to restore plotly's class): the size it fitted at.
      k = same && div._samenK ? div._samenK : Math.min(width / fit[0], height / fit[1]);
    }
    render(div, figure, k, animate, 0);
  }

  var observer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var div = entry.target;
      var island = document.querySelector('script[type="application/json"][data-chart="' + div.id + '"]');
      if (island) drawOne(island, div);
    });
  }) : null;

  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (island) {
      var div = document.getElementById(island.dataset.chart);
      if (!div) return;
      if (observer && "stage" in div.dataset && !div._samenObserved) {
        observer.observe(div);
        div._samenObserved = true;
      }
      drawOne(island, div);
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-download-chart]");
    if (!button || !window.Plotly) return;
    var div = document.getElementById(button.dataset.downloadChart);
    if (div && div.data) {
      window.Plotly.downloadImage(div, { format: "png", filename: button.dataset.filename || "samen-peiling",
                                         width: 1200, height: Math.max(500, div.offsetHeight * 2) });
    }
  });

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:after:swap", draw);
  document.addEventListener("htmx:ws:after:message:incoming", draw);
  window.samenDrawCharts = draw;
})();
