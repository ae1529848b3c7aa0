/* 行政区划选择: fills a cascading division picker's next level in place.
 * The server renders each level as a plain select and a 下一级 button that posts the
 * form back with the next level listed; with this script the button is hidden and
 * choosing a county or a township fetches the level below from the API
 * (/api/v1/org/divisions/{code}/children) and shows it as the next select.
 */
(function () {
  "use strict";
  var LEVELS = [
    { key: "county", zh: "县（市、区）", en: "County or district" },
    { key: "township", zh: "乡镇（街道）", en: "Township or subdistrict" },
    { key: "village", zh: "村（社区）", en: "Village or community" }
  ];
  function english() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  }
  function levelBox(picker, index) {
    var level = LEVELS[index];
    var select = picker.querySelector("select[data-level='" + index + "']");
    if (select) return select;
    var first = picker.querySelector("select[data-level='0']");
    var base = first.id.replace(/-county$/, "");
    var name = first.name.replace(/__county$/, "");
    var wrap = document.createElement("div");
    wrap.className = "division-level";
    var label = document.createElement("label");
    label.htmlFor = base + "-" + level.key;
    label.textContent = english() ? level.en : level.zh;
    select = document.createElement("select");
    select.id = base + "-" + level.key;
    select.name = name + "__" + level.key;
    select.setAttribute("data-level", String(index));
    wrap.appendChild(label);
    wrap.appendChild(select);
    picker.querySelector(".division-levels").appendChild(wrap);
    return select;
  }
  function clearBelow(picker, index) {
    picker.querySelectorAll("select[data-level]").forEach(function (select) {
      if (Number(select.getAttribute("data-level")) > index) {
        select.closest(".division-level").remove();
      }
    });
  }
  function fill(select, rows) {
    var prompt = document.createElement("option");
    prompt.value = "";
    prompt.textContent = english() ? "Choose" : "请选择";
    select.replaceChildren(prompt);
    rows.forEach(function (row) {
      var option = document.createElement("option");
      option.value = row.code;
      option.textContent = row.name;
      select.appendChild(option);
    });
  }
  function onChange(picker, select) {
    var index = Number(select.getAttribute("data-level"));
    clearBelow(picker, index);
    if (!select.value || index + 1 >= LEVELS.length) return;
    var url = picker.getAttribute("data-children-url").replace("CODE", encodeURIComponent(select.value));
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (rows) {
        if (!rows.length || select.value === "") return;
        fill(levelBox(picker, index + 1), rows);
      })
      .catch(function () {
        var next = picker.querySelector("[data-division-next]");
        if (next) next.hidden = false;  // fall back to the page's own 下一级
      });
  }
  function init(picker) {
    var next = picker.querySelector("[data-division-next]");
    if (next) next.hidden = true;
    picker.addEventListener("change", function (event) {
      var select = event.target.closest("select[data-level]");
      if (select) onChange(picker, select);
    });
  }
  document.querySelectorAll("[data-division-picker]").forEach(init);
})();
