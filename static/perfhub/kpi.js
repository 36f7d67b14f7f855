// One KPI over time: its actual against its target line and, when there is one, the same
// period a year before (同比, dotted) — the table below has the numbers.
// Axis and tooltip numbers in the page's language (charts.js: 万/亿 in Chinese, separators in
// English), the target in the palette's target colour.
(function () {
  "use strict";
  var el = document.getElementById("kpi-chart");
  var source = document.getElementById("kpi-data");
  if (!el || !source || typeof echarts === "undefined" || !window.PerfhubCharts) return;
  var P = window.PerfhubCharts;
  var labels = (document.currentScript || document.querySelector("script[data-actual]")).dataset;
  var data = JSON.parse(source.textContent);
  var chart = P.init(el);
  var series = [
    { name: labels.actual, type: "line", data: data.actual, connectNulls: false,
      color: P.palette.company },
    { name: labels.target, type: "line", data: data.target, step: "middle",
      lineStyle: { type: "dashed" }, color: P.palette.target },
  ];
  var yearBefore = (data.year_before || []).some(function (v) { return v !== null; });
  if (yearBefore) {
    series.push({ name: labels.yearBefore, type: "line", data: data.year_before,
                  connectNulls: false, lineStyle: { type: "dotted" }, symbol: "emptyCircle",
                  color: P.palette.reference });
  }
  chart.setOption({
    grid: { left: 10, right: 10, top: 30, bottom: 10, containLabel: true },
    legend: { top: 0, data: series.map(function (s) { return s.name; }) },
    tooltip: { trigger: "axis",
               valueFormatter: function (value) { return P.readable(value, data.unit); } },
    xAxis: { type: "category", data: data.periods },
    yAxis: { type: "value", scale: true, axisLabel: { formatter: P.axis(data.unit) } },
    series: series,
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
