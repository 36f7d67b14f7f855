// Company dashboard charts: indices over time, management vs business departments on one
// scale (bars coloured by kind) and departments x KPIs by status. Each chart has a table
// with the same numbers on the page.
//
// ECharts puts what a tooltip formatter returns into the page as HTML: every name in it
// (departments, indicators: typed by users) goes through `esc`. Labels, legends and the
// default tooltips are escaped or drawn as text by ECharts itself.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  var script = document.currentScript || document.querySelector("script[data-locale]");
  var labels = script.dataset;
  var data = JSON.parse(source.textContent);
  var esc = echarts.format.encodeHTML;
  var charts = [];
  function init(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "svg", locale: labels.locale });
    charts.push(chart);
    return chart;
  }
  var colours = { management: "#0dcaf0", business: "#fd7e14", company: "#6f42c1" };

  var trend = init("trend-chart");
  if (trend && data.trend) {
    trend.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      legend: { top: 0, data: [labels.company, labels.management, labels.business] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.periods },
      yAxis: { type: "value", min: 0, max: 120 },
      series: [
        { name: labels.company, type: "line", data: data.trend.company, connectNulls: true,
          itemStyle: { color: colours.company } },
        { name: labels.management, type: "line", data: data.trend.management,
          connectNulls: true, itemStyle: { color: colours.management } },
        { name: labels.business, type: "line", data: data.trend.business, connectNulls: true,
          itemStyle: { color: colours.business } },
      ],
    });
  }

  var departments = init("departments-trend-chart");
  if (departments && data.departments_trend && data.trend) {
    departments.setOption({
      grid: { left: 40, right: 10, top: 40, bottom: 30 },
      legend: { type: "scroll", top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.periods },
      yAxis: { type: "value", min: 0, max: 120 },
      series: data.departments_trend.map(function (d) {
        return { name: d.name, type: "line", data: d.scores, connectNulls: true,
                 lineStyle: { type: d.kind === "management" ? "dashed" : "solid" } };
      }),
    });
  }

  var comparison = init("comparison-chart");
  if (comparison && data.comparison) {
    var rows = data.comparison;
    comparison.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 90 },
      legend: { data: [labels.management, labels.business], selectedMode: false },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
               axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value", min: 0, max: 120 },
      series: [
        { name: labels.management, type: "bar", stack: "s",
          itemStyle: { color: colours.management },
          data: rows.map(function (r) { return r.kind === "management" ? r.score : null; }) },
        { name: labels.business, type: "bar", stack: "s", itemStyle: { color: colours.business },
          data: rows.map(function (r) { return r.kind === "business" ? r.score : null; }),
          markLine: { silent: true, symbol: "none", label: { show: false },
                      data: [{ yAxis: 100 }] } },
      ],
    });
  }

  var scatter = init("scatter-chart");
  if (scatter && data.scatter) {
    var point = function (kind) {
      return data.scatter.filter(function (r) { return r.kind === kind; })
        .map(function (r) { return [r.coverage, r.score, r.name]; });
    };
    scatter.setOption({
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      legend: { top: 0, data: [labels.management, labels.business] },
      tooltip: { formatter: function (p) {
        return esc(p.value[2]) + ": " + esc(p.value[1].toFixed(1)) + " · " +
          esc(String(p.value[0])) + "%";
      } },
      xAxis: { type: "value", name: labels.coverage + " %", min: 0, max: 100,
               nameLocation: "middle", nameGap: 25 },
      yAxis: { type: "value", name: labels.score, min: 0, max: 120 },
      series: [
        { name: labels.management, type: "scatter", symbolSize: 12, data: point("management"),
          itemStyle: { color: colours.management } },
        { name: labels.business, type: "scatter", symbolSize: 12, data: point("business"),
          itemStyle: { color: colours.business } },
      ],
    });
  }

  var fair = init("fairness-chart");
  if (fair && data.fairness) {
    fair.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      legend: { top: 0, data: [labels.management, labels.business] },
      tooltip: { trigger: "item" },
      xAxis: { type: "category", data: data.fairness.map(function (r) { return r.period; }) },
      yAxis: { type: "value", min: 0, max: 120 },
      series: [
        { name: labels.management, type: "boxplot", itemStyle: { color: colours.management },
          data: data.fairness.map(function (r) { return r.management || [null, null, null, null, null]; }) },
        { name: labels.business, type: "boxplot", itemStyle: { color: colours.business },
          data: data.fairness.map(function (r) { return r.business || [null, null, null, null, null]; }) },
      ],
    });
  }

  var heat = init("heatmap-chart");
  if (heat && data.heatmap) {
    var names = labels.statuses.split("|");
    heat.setOption({
      grid: { left: 120, right: 10, top: 10, bottom: 110 },
      tooltip: {
        formatter: function (p) {
          var score = p.value[3] === null ? "" : " " + p.value[3].toFixed(1);
          return esc(data.heatmap.rows[p.value[1]]) + " · " +
            esc(data.heatmap.columns[p.value[0]]) + ": " + esc(names[p.value[2]]) + esc(score);
        },
      },
      xAxis: { type: "category", data: data.heatmap.columns,
               axisLabel: { rotate: 45, interval: 0 } },
      yAxis: { type: "category", data: data.heatmap.rows, inverse: true },
      visualMap: {
        type: "piecewise", orient: "horizontal", left: "center", bottom: 0, dimension: 2,
        pieces: [
          { value: 0, label: names[0], color: "#ced4da" },
          { value: 1, label: names[1], color: "#dc3545" },
          { value: 2, label: names[2], color: "#ffc107" },
          { value: 3, label: names[3], color: "#198754" },
        ],
      },
      series: [{ type: "heatmap", data: data.heatmap.cells,
                 itemStyle: { borderColor: "#fff", borderWidth: 1 } }],
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
