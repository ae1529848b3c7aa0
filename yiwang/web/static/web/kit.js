/* Page kit behaviour (no dependencies; pages work without it).
 * - The error summary (错误汇总) takes focus when the page loads, so screen readers
 *   announce it and keyboard users start from it.
 * - A link in the summary moves focus to its field and scrolls the field's label
 *   (or legend) into view, not just the bare input.
 */
(function () {
  "use strict";
  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) return fieldset.querySelector("legend");
    if (input.id) {
      var label = document.querySelector('label[for="' + input.id + '"]');
      if (label) return label;
    }
    return input.closest(".field") || input;
  }
  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
      if (!input) return;
      event.preventDefault();
      labelFor(input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusSummary);
  else focusSummary();
})();

/* The header's menu button (菜单): on a phone the navigation and tools fold behind it.
 * Without this script the header shows everything, as on a desktop. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function setUp() {
    var button = document.getElementById("menu-toggle");
    var menu = document.getElementById("top-menu");
    if (!button || !menu) return;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();

/* 朗读本页 (elder mode): reads the page's main text aloud with the browser's speech
 * synthesis. The button stays hidden where the browser has none; a second press stops. */
(function () {
  "use strict";
  var READ = "h1, h2, h3, p, li, dt, dd, th, td, .tile-label";
  var SKIP = "form, details, .top, .read-aloud, .sr-only, [hidden]";
  function mainText() {
    var main = document.getElementById("main");
    if (!main) return "";
    var parts = [];
    main.querySelectorAll(READ).forEach(function (el) {
      if (el.closest(SKIP)) return;
      if (el.parentElement && el.parentElement.closest(READ)) return;
      if (!el.getClientRects().length) return; // not shown (e.g. hidden in elder mode)
      var text = (el.innerText || "").trim();
      if (text) parts.push(text);
    });
    return parts.join("。\n");
  }
  function setUp() {
    var button = document.getElementById("read-aloud");
    if (!button || !window.speechSynthesis || typeof window.SpeechSynthesisUtterance !== "function") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var synth = window.speechSynthesis;
      if (synth.speaking) { synth.cancel(); return; }
      var utterance = new window.SpeechSynthesisUtterance(mainText());
      utterance.lang = document.documentElement.lang || "zh-CN";
      utterance.rate = 0.9;
      synth.speak(utterance);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
