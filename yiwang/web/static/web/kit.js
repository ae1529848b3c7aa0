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
