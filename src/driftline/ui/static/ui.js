// driftline UI: draw each chart from the figure spec the server embedded as inert JSON.
// No data is fetched: everything on the page was aggregated by the server.
(function () {
  "use strict";
  function draw(el) {
    var spec = document.getElementById(el.getAttribute("data-chart"));
    if (!spec) { return; }
    var fig = JSON.parse(spec.textContent);
    var holder = document.createElement("div");
    holder.className = "plot";
    el.appendChild(holder);
    window.Plotly.newPlot(holder, fig.data, fig.layout,
      {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"]})
      .then(function () { el.setAttribute("data-rendered", String(fig.data.length)); });
  }
  function start() {
    if (!window.Plotly) { return; }
    var charts = document.querySelectorAll("figure.chart[data-chart]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
