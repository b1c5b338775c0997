/* Charts of the coverage dashboards, drawn with Apache ECharts from the figures the page
   carries in <script type="application/json" id="coverage-data"> (no inline script: the
   Content-Security-Policy has no unsafe-inline). Every chart has its table beside it. */
(function () {
  "use strict";
  var block = document.getElementById("coverage-data");
  // The progress bar's width from its data attribute (no style attribute in the markup).
  document.querySelectorAll(".coverage-progress .progress-bar[data-percent]").forEach(function (bar) {
    bar.style.width = bar.getAttribute("data-percent") + "%";
  });
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var locale = data.locale === "en" ? "en-US" : "id-ID";
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 2 });
  var whole = new Intl.NumberFormat(locale);
  function rupiah(value) { return "Rp" + compact.format(value); }

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var months = data.trend.map(function (t) { return t.month; });
  var members = function (v) { return v == null ? "–" : whole.format(v); };
  var series = [
    { name: data.labels.registered, type: "bar", data: data.trend.map(function (t) { return t.registered; }),
      tooltip: { valueFormatter: members } },
    { name: data.labels.collected, type: "line", yAxisIndex: 1, smooth: true,
      data: data.trend.map(function (t) { return t.collected; }),
      tooltip: { valueFormatter: rupiah } },
    // Members active at the end of each month, against the target of the year.
    { name: data.labels.active, type: "line", data: data.trend.map(function (t) { return t.active; }),
      tooltip: { valueFormatter: members } }
  ];
  var legend = [data.labels.registered, data.labels.collected, data.labels.active];
  if (data.target != null) {
    series.push({ name: data.labels.target, type: "line", symbol: "none", lineStyle: { type: "dashed" },
      data: data.trend.map(function () { return data.target; }), tooltip: { valueFormatter: members } });
    legend.push(data.labels.target);
  }
  draw("coverage-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: legend },
    grid: { left: 60, right: 70, bottom: 30 },
    xAxis: { type: "category", data: months },
    yAxis: [
      { type: "value", name: data.labels.members, axisLabel: { formatter: function (v) { return compact.format(v); } } },
      { type: "value", name: data.labels.collected, axisLabel: { formatter: rupiah } }
    ],
    series: series
  });

  if (data.breakdown.length) {
    var rows = data.breakdown.slice().reverse();
    draw("coverage-bars", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        valueFormatter: function (v) { return v == null ? "–" : whole.format(v); } },
      legend: { data: [data.labels.active, data.labels.target] },
      grid: { left: 150, right: 30, bottom: 30 },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return compact.format(v); } } },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
      series: [
        { name: data.labels.active, type: "bar", data: rows.map(function (r) { return r.active; }) },
        { name: data.labels.target, type: "bar", data: rows.map(function (r) { return r.target; }) }
      ]
    });
  }
}());
