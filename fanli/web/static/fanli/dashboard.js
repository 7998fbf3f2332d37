// Dashboard charts, drawn with the chart library served from our own static files (no CDN).
// Values arrive as exact decimal text; the chart only draws them, with the value on hover.
(function () {
  "use strict";
  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  var layout = { margin: { t: 10, r: 50, b: 40, l: 70 }, height: 300, legend: { orientation: "h", y: -0.2 },
                 paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", hovermode: "x unified" };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  function drawTrend(node) {
    var trend = data("trend-data");
    if (!trend) { return; }
    window.Plotly.newPlot(node, [
      { type: "bar", name: node.dataset.sales, x: trend.months, y: trend.sales.map(Number), marker: { color: "#9fb3c8" },
        hovertemplate: "¥%{y:,.2f}<extra>" + node.dataset.sales + "</extra>" },
      { type: "scatter", mode: "lines+markers", name: node.dataset.rebates, x: trend.months, y: trend.rebates.map(Number),
        yaxis: "y2", line: { color: "#b4232a" }, hovertemplate: "¥%{y:,.2f}<extra>" + node.dataset.rebates + "</extra>" }
    ], Object.assign({}, layout, { xaxis: { type: "category" },  // "2026-01" as written, in either language
                                  yaxis: { tickprefix: "¥", separatethousands: true },
                                  yaxis2: { overlaying: "y", side: "right", tickprefix: "¥", separatethousands: true } }), config);
  }
  function drawTiers(node) {
    var tiers = data("tiers-data");
    if (!tiers) { return; }
    var policies = Object.keys(tiers), levels = {};
    policies.forEach(function (p) { Object.keys(tiers[p]).forEach(function (t) { levels[t] = true; }); });
    var traces = Object.keys(levels).sort().map(function (level) {
      var name = level === "0" ? node.dataset.below : node.dataset.tier + " " + level;
      return { type: "bar", name: name, x: policies, y: policies.map(function (p) { return tiers[p][level] || 0; }),
               hovertemplate: "%{x}: %{y}<extra>" + name + "</extra>" };
    });
    window.Plotly.newPlot(node, traces, Object.assign({}, layout, { barmode: "stack", hovermode: "closest" }), config);
  }
  // Plain bars from <script id=node.dataset.source>: {x: [...], series: [{name, y: [...]}], unit: "¥" | "%" | ""}
  function drawBars(node) {
    var bars = data(node.dataset.source);
    if (!bars) { return; }
    var prefix = bars.unit === "¥" ? "¥" : "", suffix = bars.unit === "%" ? " %" : "";
    var traces = bars.series.map(function (s) {
      return { type: "bar", name: s.name, x: bars.x, y: s.y.map(Number), text: s.y.map(function (v) { return prefix + v + suffix; }),
               textposition: "auto", hovertemplate: "%{x}: %{text}<extra>" + s.name + "</extra>" };
    });
    window.Plotly.newPlot(node, traces, Object.assign({}, layout, { hovermode: "closest", barmode: "group",
      yaxis: { tickprefix: prefix, ticksuffix: suffix, separatethousands: true, zeroline: true } }), config);
  }
  function draw(root) {
    if (!window.Plotly) { return; }
    root.querySelectorAll("[data-chart]:not([data-drawn])").forEach(function (node) {
      node.setAttribute("data-drawn", "1");
      if (node.dataset.chart === "trend") { drawTrend(node); }
      else if (node.dataset.chart === "bars") { drawBars(node); }
      else { drawTiers(node); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
