// 亮证: count the code's seconds down and fetch the next code shortly before it expires,
// replacing the box in place (without scripts the page reloads itself instead).
(function () {
  "use strict";
  var LEAD_MS = 5000;

  function box() { return document.getElementById("show-box"); }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("show-box");
        if (next && box()) { box().replaceWith(next); }
      })
      .catch(function () { window.location.reload(); });
  }

  function tick() {
    var el = box();
    if (!el) { return; }
    var left = Number(el.dataset.expires) - Date.now();
    var label = document.getElementById("show-left");
    if (label && left > 0) {
      label.textContent = label.textContent.replace(/\d+/, String(Math.ceil(left / 1000)));
    }
    if (left <= LEAD_MS && !el.dataset.refreshing) {
      el.dataset.refreshing = "1";
      refresh();
    }
  }

  window.setInterval(tick, 1000);
})();
