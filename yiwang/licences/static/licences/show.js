// 亮证: count the code's seconds down and fetch the next code shortly before it expires,
// replacing the box in place (without scripts the page reloads itself instead).
// The countdown runs from the seconds the server says are left when the box arrives,
// measured on the page's own monotonic timer, so a phone whose clock is set wrong still
// counts the minute right.
(function () {
  "use strict";
  var LEAD_MS = 5000;

  function box() { return document.getElementById("show-box"); }

  function deadline(el) {
    if (!el.dataset.deadline) {
      el.dataset.deadline = String(performance.now() + Number(el.dataset.seconds || 0) * 1000);
    }
    return Number(el.dataset.deadline);
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("show-box");
        if (next && box()) { box().replaceWith(next); deadline(next); }
      })
      .catch(function () { window.location.reload(); });
  }

  function tick() {
    var el = box();
    if (!el) { return; }
    var left = deadline(el) - performance.now();
    var seconds = Math.max(Math.ceil(left / 1000), 0);
    var label = document.getElementById("show-left");
    if (label) {
      label.textContent = label.textContent.replace(/\d+/, String(seconds));
    }
    var bar = document.getElementById("show-timer");
    if (bar) { bar.value = seconds; }
    if (left <= LEAD_MS && !el.dataset.refreshing) {
      el.dataset.refreshing = "1";
      refresh();
    }
  }

  if (box()) { deadline(box()); }
  window.setInterval(tick, 1000);
})();
