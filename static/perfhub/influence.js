// A management department's score and internal service satisfaction beside the business
// side's index over time (the table below the chart has the same numbers).
(function () {
  "use strict";
  var el = document.getElementById("influence-chart");
  var source = document.getElementById("influence-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var labels = (document.currentScript || document.querySelector("script[data-score]")).dataset;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg", locale: labels.locale });
  chart.setOption({
    grid: { left: 50, right: 10, top: 40, bottom: 30 },
    legend: { top: 0, data: [labels.score, labels.satisfaction, labels.business] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.periods },
    yAxis: { type: "value", scale: true },
    series: [
      { name: labels.score, type: "line", data: data.score, itemStyle: { color: "#6f42c1" } },
      { name: labels.satisfaction, type: "line", data: data.satisfaction,
        lineStyle: { type: "dotted" }, itemStyle: { color: "#0d6efd" } },
      { name: labels.business, type: "line", data: data.business, itemStyle: { color: "#fd7e14" } },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
