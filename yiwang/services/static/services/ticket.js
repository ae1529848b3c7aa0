// 排队号: while the number waits, fetch the page every 30 seconds and put the new ticket
// in place of the old one when anything on it changed (the wrapper is a polite live
// region, so a screen reader reads out 已叫到您的号); once the number is called or done
// it stops. The page itself never reloads, so nothing the reader is doing is cut off.
// Without scripts the page reloads itself every 30 seconds instead (<noscript>).
(function () {
  "use strict";
  var EVERY_MS = 30000;

  function ticket() { return document.getElementById("ticket"); }

  function waiting() {
    var el = ticket();
    return Boolean(el) && el.dataset.status === "waiting";
  }

  function schedule() { window.setTimeout(refresh, EVERY_MS); }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("ticket");
        var now = ticket();
        if (next && now && next.innerHTML !== now.innerHTML) { now.replaceWith(next); }
        if (waiting()) { schedule(); }
      })
      .catch(schedule);
  }

  if (waiting()) { schedule(); }
})();
