// 运行总览: daily tickets taken in and concluded, drawn with ECharts from the JSON the page
// carries ({"days": [...], "taken": [...], "concluded": [...]}); the tables hold the numbers.
(function () {
  "use strict";
  var el = document.getElementById("daily-chart");
  var data = document.getElementById("daily-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  echarts.init(el).setOption({
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {top: 0},
    grid: {left: 45, right: 20, bottom: 40},
    xAxis: {type: "category", data: d.days},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: el.dataset.taken || "受理", type: "bar", data: d.taken},
      {name: el.dataset.concluded || "办结", type: "line", data: d.concluded}
    ]
  });
})();
