// The strategy map of the company balanced scorecard: the goals on top, the KPIs that feed
// them on the four perspective layers below (learning and growth at the bottom), each KPI in
// the colour of its status; the table below the chart has the same links. Goal and KPI names
// are typed by users: they reach the chart as labels (SVG text) and a tooltip through `esc`.
(function () {
  "use strict";
  var el = document.getElementById("strategy-chart");
  var source = document.getElementById("strategy-data");
  if (!el || !source || typeof echarts === "undefined" || !window.PerfhubCharts) return;
  var P = window.PerfhubCharts;
  var esc = P.esc;
  var labels = (document.currentScript || document.querySelector("script[data-goals]")).dataset;
  var data = JSON.parse(source.textContent);
  var rows = data.layers.concat([labels.goals]); // bottom to top: the y axis' categories
  var counts = {};
  data.nodes.forEach(function (node) {
    counts[node.layer] = Math.max(counts[node.layer] || 0, node.x + 1);
  });
  var plotWidth = Math.max(el.clientWidth || 600, 340) - 130;
  var colour = { green: P.palette.green, amber: P.palette.amber, red: P.palette.red,
    grey: P.palette.grey };
  var nodes = data.nodes.map(function (node) {
    var count = counts[node.layer];
    return {
      name: node.name,
      title: node.name,
      note: node.score === null ? "—" : P.readable(node.score, ""),
      value: [(node.x + 0.5) / count, node.layer],
      symbol: node.goal ? "roundRect" : "circle",
      symbolSize: node.goal ? [22, 16] : 14,
      itemStyle: {
        color: node.goal ? P.palette.company : colour[node.status] || P.palette.grey,
        borderColor: P.palette.reference,
        borderWidth: 1,
      },
      label: { show: true, position: "bottom", fontSize: 11, overflow: "truncate",
        width: Math.max(56, plotWidth / count - 8) },
    };
  });
  var links = data.links.map(function (link) {
    return { source: link.source, target: link.target,
      title: data.nodes[link.source].name + " → " + data.nodes[link.target].name, note: "" };
  });
  var chart = P.init(el);
  chart.setOption({
    grid: { left: 120, right: 10, top: 20, bottom: 30 },
    xAxis: { type: "value", min: 0, max: 1, show: false },
    yAxis: { type: "category", data: rows, boundaryGap: false,
      axisLabel: { width: 110, overflow: "truncate", fontWeight: "bold" },
      splitLine: { show: true } },
    tooltip: {
      trigger: "item",
      formatter: function (p) {
        return esc(p.data.title) + " " + esc(p.data.note);
      },
    },
    series: [{
      type: "graph",
      coordinateSystem: "cartesian2d",
      edgeSymbol: ["none", "arrow"],
      edgeSymbolSize: 7,
      lineStyle: { color: P.palette.reference, opacity: 0.6, curveness: 0.1 },
      data: nodes,
      links: links,
    }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
