// Draws the poll charts. The server sends each figure as a JSON island next to its chart <div>; a live update
// replaces only the island (the div keeps its drawing, hx-morph-skip-children), and Plotly.react animates to it.
(function () {
  "use strict";
  // No mode bar: its buttons would sit inside the chart's role="img" (a nested control) and speak English.
  // The image export is our own translated button next to the chart (data-download-chart).
  var CONFIG = { displayModeBar: false, displaylogo: false, showSendToCloud: false, responsive: true };

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
