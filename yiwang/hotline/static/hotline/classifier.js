// 分类模型: monthly share of labels whose suggested leaf was the final one, overall and per
// 大类, drawn with ECharts from the JSON the page carries ({"months": [...], "series":
// [{"name", "data"}]}); the tables below the chart hold the same numbers.
(function () {
  "use strict";
  var el = document.getElementById("accuracy-chart");
  var data = document.getElementById("accuracy-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  echarts.init(el).setOption({
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {type: "scroll", top: 0},
    grid: {left: 45, right: 20, bottom: 40, top: 40},
    xAxis: {type: "category", data: d.months},
    yAxis: {type: "value", min: 0, max: 1},
    series: d.series.map(function (s, i) {
      return {name: s.name, type: "line", data: s.data, connectNulls: true,
              lineStyle: {width: i === 0 ? 3 : 1}};
    })
  });
})();
