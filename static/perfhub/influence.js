// A management department's score and internal service satisfaction beside the business
// side's index over time (the table below the chart has the same numbers), in the sides'
// colours of charts.js.
(function () {
  "use strict";
  var el = document.getElementById("influence-chart");
  var source = document.getElementById("influence-data");
  if (!el || !source || typeof echarts === "undefined" || !window.PerfhubCharts) return;
  var P = window.PerfhubCharts;
  var labels = (document.currentScript || document.querySelector("script[data-score]")).dataset;
  var data = JSON.parse(source.textContent);
  var chart = P.init(el);
  chart.setOption({
    grid: { left: 50, right: 10, top: 40, bottom: 30 },
    legend: { top: 0, data: [labels.score, labels.satisfaction, labels.business] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.periods },
    yAxis: { type: "value", scale: true, axisLabel: { formatter: P.axis("") } },
    series: [
      { name: labels.score, type: "line", data: data.score, color: P.palette.management },
      { name: labels.satisfaction, type: "line", data: data.satisfaction,
        lineStyle: { type: "dotted" }, color: P.palette.company },
      { name: labels.business, type: "line", data: data.business, color: P.palette.business },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
