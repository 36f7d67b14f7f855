// Company dashboard: management vs business departments on one scale (bars coloured by
// kind). The table under the chart holds the same numbers.
(function () {
  "use strict";
  var el = document.getElementById("comparison-chart");
  var data = document.getElementById("comparison-data");
  if (!el || !data || typeof echarts === "undefined") return;
  var script = document.currentScript || document.querySelector("script[data-locale]");
  var rows = JSON.parse(data.textContent);
  var colours = { management: "#0dcaf0", business: "#fd7e14" };
  var chart = echarts.init(el, null, { renderer: "svg", locale: script.dataset.locale });
  chart.setOption({
    grid: { left: 40, right: 10, top: 30, bottom: 90 },
    legend: {
      data: [script.dataset.management, script.dataset.business],
      selectedMode: false,
    },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
             axisLabel: { rotate: 40, interval: 0 } },
    yAxis: { type: "value", min: 0, max: 120 },
    series: [
      { name: script.dataset.management, type: "bar", stack: "s",
        itemStyle: { color: colours.management },
        data: rows.map(function (r) { return r.kind === "management" ? r.score : null; }) },
      { name: script.dataset.business, type: "bar", stack: "s",
        itemStyle: { color: colours.business },
        data: rows.map(function (r) { return r.kind === "business" ? r.score : null; }),
        markLine: { silent: true, symbol: "none", label: { show: false }, data: [{ yAxis: 100 }] } },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
