// One KPI over time: its actual against its target line (the table below has the numbers).
(function () {
  "use strict";
  var el = document.getElementById("kpi-chart");
  var source = document.getElementById("kpi-data");
  if (!el || !source || typeof echarts === "undefined") return;
  var labels = (document.currentScript || document.querySelector("script[data-actual]")).dataset;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { renderer: "svg", locale: labels.locale });
  chart.setOption({
    grid: { left: 70, right: 10, top: 30, bottom: 30 },
    legend: { top: 0, data: [labels.actual, labels.target] },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.periods },
    yAxis: { type: "value", scale: true },
    series: [
      { name: labels.actual, type: "line", data: data.actual, connectNulls: false },
      { name: labels.target, type: "line", data: data.target, step: "middle",
        lineStyle: { type: "dashed" }, itemStyle: { color: "#198754" } },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
