// Draws the poll charts. The server sends each figure as a JSON island next to its chart <div>; a live update
// replaces only the island (the div keeps its drawing, hx-morph-skip-children), and Plotly.react animates to it.
(function () {
  "use strict";
  var CONFIG = {
    displaylogo: false,
    showSendToCloud: false,
    responsive: true,
    // Keep only "download as PNG": the chart image export.
    modeBarButtons: [["toImage"]],
    toImageButtonOptions: { format: "png", filename: "samen-peiling", scale: 2 }
  };

  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (island) {
      var div = document.getElementById(island.dataset.chart);
      if (!div) return;
      var text = island.textContent;
      if (div.dataset.drawn === text) return;  // unchanged: no redraw
      var figure;
      try { figure = JSON.parse(text); } catch (e) { return; }
      window.Plotly.react(div, figure.data, figure.layout, CONFIG);
      div.dataset.drawn = text;
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:after:swap", draw);
  document.addEventListener("htmx:ws:after:message:incoming", draw);
  window.samenDrawCharts = draw;
})();
