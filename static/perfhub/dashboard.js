// Company dashboard charts: indices over time, each department over time, management vs
// business departments on one scale, score against coverage, the fairness check and
// departments x KPIs by status. Each chart has a table with the same numbers on the page; a
// chart with nothing to say is not drawn (the page shows one line instead, decided on the
// server: scorecards/charts.py).
//
// Colours and numbers come from charts.js (one palette, one formatter). ECharts puts what a
// tooltip formatter returns into the page as HTML: every name in it (departments,
// indicators: typed by users) goes through `esc`. Labels, legends and the default tooltips
// (numbers through `valueFormatter`) are escaped or drawn as text by ECharts itself.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined" || !window.PerfhubCharts) return;
  var P = window.PerfhubCharts;
  var script = document.currentScript || document.querySelector("script[data-management]");
  var labels = script.dataset;
  var data = JSON.parse(source.textContent);
  var esc = P.esc;
  var colours = P.palette;
  var charts = [];
  var layouts = [];
  function init(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = P.init(el);
    charts.push(chart);
    return chart;
  }
  function side(kind) { return kind === "management" ? colours.management : colours.business; }
  var score = { type: "value", min: 0, max: 120, axisLabel: { formatter: P.axis("") } };
  function scoreText(value) { return value === null || value === undefined ? "—" : P.readable(value); }
  var trend = init("trend-chart");
  if (trend && data.trend) {
    var indexSeries = [
      { name: labels.company, type: "line", data: data.trend.company, connectNulls: true,
        color: colours.company },
      { name: labels.management, type: "line", data: data.trend.management,
        connectNulls: true, color: colours.management },
      { name: labels.business, type: "line", data: data.trend.business, connectNulls: true,
        color: colours.business },
    ];
    // 同比: the company index a year before, dotted, when there is one.
    var before = data.trend.company_year_before || [];
    if (before.some(function (v) { return v !== null; })) {
      indexSeries.push({ name: labels.companyYearBefore, type: "line", data: before,
                         connectNulls: false, lineStyle: { type: "dotted" },
                         symbol: "emptyCircle", color: colours.company });
    }
    trend.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      legend: { top: 0, data: indexSeries.map(function (s) { return s.name; }) },
      tooltip: { trigger: "axis", valueFormatter: scoreText },
      xAxis: { type: "category", data: data.trend.periods },
      yAxis: score,
      series: indexSeries,
    });
  }

  // One colour per side: each department's line takes its side's colour; management lines
  // are dashed, and hovering one brings it forward.
  var departments = init("departments-trend-chart");
  if (departments && data.departments_trend && data.trend) {
    departments.setOption({
      grid: { left: 40, right: 10, top: 40, bottom: 30 },
      legend: { type: "scroll", top: 0 },
      tooltip: { trigger: "axis", valueFormatter: scoreText },
      xAxis: { type: "category", data: data.trend.periods },
      yAxis: score,
      series: data.departments_trend.map(function (d) {
        return { name: d.name, type: "line", data: d.scores, connectNulls: true,
                 color: side(d.kind), emphasis: { focus: "series" },
                 lineStyle: { type: d.kind === "management" ? "dashed" : "solid" } };
      }),
    });
  }

  var comparison = init("comparison-chart");
  if (comparison && data.comparison) {
    var rows = data.comparison;
    comparison.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 10, containLabel: true },
      legend: { top: 0, data: [labels.management, labels.business], selectedMode: false },
      tooltip: { trigger: "axis", valueFormatter: scoreText },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
               axisLabel: { rotate: 90, interval: 0, width: 90, overflow: "truncate" } },
      yAxis: score,
      series: [
        { name: labels.management, type: "bar", stack: "s", color: colours.management,
          data: rows.map(function (r) { return r.kind === "management" ? r.score : null; }) },
        { name: labels.business, type: "bar", stack: "s", color: colours.business,
          data: rows.map(function (r) { return r.kind === "business" ? r.score : null; }),
          markLine: { silent: true, symbol: "none", label: { show: false },
                      lineStyle: { color: colours.reference }, data: [{ yAxis: 100 }] } },
      ],
    });
  }

  // Departments at the same coverage with close scores would hide one another: each group
  // of such points is spread sideways by a few tenths of a point (the tooltip gives the
  // true coverage).
  function spread(points) {
    var byCoverage = {};
    points.forEach(function (r) {
      (byCoverage[r.coverage] = byCoverage[r.coverage] || []).push(r);
    });
    var out = [];
    Object.keys(byCoverage).forEach(function (key) {
      var group = byCoverage[key].slice().sort(function (a, b) { return a.score - b.score; });
      var cluster = [];
      function flush() {
        cluster.forEach(function (r, i) {
          var offset = cluster.length > 1 ? (i - (cluster.length - 1) / 2) * 1.6 : 0;
          out.push({ r: r, x: Math.max(0, Math.min(100, r.coverage + offset)) });
        });
        cluster = [];
      }
      group.forEach(function (r) {
        if (cluster.length && r.score - cluster[cluster.length - 1].score > 4) flush();
        cluster.push(r);
      });
      flush();
    });
    return out;
  }
  var scatter = init("scatter-chart");
  if (scatter && data.scatter) {
    var placed = spread(data.scatter);
    var point = function (kind) {
      return placed.filter(function (p) { return p.r.kind === kind; })
        .map(function (p) { return [p.x, p.r.score, p.r.name, p.r.coverage]; });
    };
    scatter.setOption({
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      legend: { top: 0, data: [labels.management, labels.business] },
      tooltip: { formatter: function (p) {
        return esc(p.value[2]) + ": " + esc(scoreText(p.value[1])) + " · " +
          esc(labels.coverage) + " " + esc(P.readable(p.value[3], "percent"));
      } },
      xAxis: { type: "value", name: labels.coverage + " %", min: 0, max: 100,
               nameLocation: "middle", nameGap: 25, axisLabel: { formatter: P.axis("") } },
      yAxis: { type: "value", name: labels.score, min: 0, max: 120,
               axisLabel: { formatter: P.axis("") } },
      series: [
        { name: labels.management, type: "scatter", symbolSize: 12, data: point("management"),
          color: colours.management, itemStyle: { opacity: 0.85 } },
        { name: labels.business, type: "scatter", symbolSize: 12, data: point("business"),
          color: colours.business, itemStyle: { opacity: 0.85 } },
      ],
    });
  }

  var fair = init("fairness-chart");
  if (fair && data.fairness) {
    var empty = [null, null, null, null, null];
    var box = labels.box.split("|");  // lowest, lower quartile, median, upper quartile, highest
    // One line: "Management · 2026-07: lowest 73.8 · lower quartile 79.8 · …" (the value is
    // [category index, lowest, Q1, median, Q3, highest]).
    var boxText = function (p) {
      return p.seriesName + " · " + p.name + ": " + box.map(function (label, i) {
        return label + " " + scoreText(p.value[i + 1]);
      }).join(" · ");
    };
    fair.setOption({
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      legend: { top: 0, data: [labels.management, labels.business] },
      tooltip: { trigger: "item", formatter: function (p) {
        return esc(boxText(p));
      } },
      xAxis: { type: "category", data: data.fairness.map(function (r) { return r.period; }) },
      yAxis: score,
      series: [
        { name: labels.management, type: "boxplot", color: colours.management,
          itemStyle: { color: colours.management, borderColor: colours.management, opacity: 0.6 },
          data: data.fairness.map(function (r) { return r.management || empty; }) },
        { name: labels.business, type: "boxplot", color: colours.business,
          itemStyle: { color: colours.business, borderColor: colours.business, opacity: 0.6 },
          data: data.fairness.map(function (r) { return r.business || empty; }) },
      ],
    });
  }

  // Departments x KPIs: one row per department, every row labelled, the chart as tall as its
  // rows. KPI names stand upright (rotated a quarter turn, cut with an ellipsis to a fixed
  // length) in columns at least one line wide: when the columns would be narrower than a
  // line the chart gets wider and its box scrolls sideways, so no two labels overlap at any
  // width. The legend sits above the grid, out of the labels' way.
  var heat = init("heatmap-chart");
  if (heat && data.heatmap) {
    var names = labels.statuses.split("|");
    var heatEl = heat.getDom();
    var ROW = 26, LINE = 18, TOP = 40, LABEL = 130;
    var layoutHeat = function () {
      var box = heatEl.parentElement.clientWidth;
      var nColumns = Math.max(1, data.heatmap.columns.length);
      var left = Math.round(Math.max(90, Math.min(170, box * 0.28)));
      var width = Math.max(box, left + 10 + nColumns * LINE);
      heatEl.style.width = width + "px";
      heatEl.style.height = (TOP + data.heatmap.rows.length * ROW + LABEL + 10) + "px";
      heat.resize();
      heat.setOption({
        grid: { left: left, right: 10, top: TOP, bottom: LABEL + 10 },
        yAxis: { axisLabel: { width: left - 12 } },
      });
    };
    heat.setOption({
      tooltip: {
        formatter: function (p) {
          var value = p.value[3] === null ? "" : " " + scoreText(p.value[3]);
          return esc(data.heatmap.rows[p.value[1]]) + " · " +
            esc(data.heatmap.columns[p.value[0]]) + ": " + esc(names[p.value[2]]) + esc(value);
        },
      },
      xAxis: { type: "category", data: data.heatmap.columns, position: "bottom",
               axisLabel: { rotate: 90, interval: 0, width: LABEL - 10, overflow: "truncate",
                            lineHeight: 14 } },
      yAxis: { type: "category", data: data.heatmap.rows, inverse: true,
               axisLabel: { interval: 0, overflow: "truncate" } },
      visualMap: {
        type: "piecewise", orient: "horizontal", left: 0, top: 0, dimension: 2,
        pieces: [
          { value: 0, label: names[0], color: colours.grey },
          { value: 1, label: names[1], color: colours.red },
          { value: 2, label: names[2], color: colours.amber },
          { value: 3, label: names[3], color: colours.green },
        ],
      },
      series: [{ type: "heatmap", data: data.heatmap.cells,
                 itemStyle: { borderColor: colours.background, borderWidth: 1 } }],
    });
    layoutHeat();
    layouts.push(layoutHeat);
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
    layouts.forEach(function (f) { f(); });
  });
})();
