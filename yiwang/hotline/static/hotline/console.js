// 话务受理台: as the agent types, show knowledge-base answers and similar tickets beside
// the form, and the caller's earlier tickets once a phone number is entered. Plain
// fetch with a short pause, so typing is never slowed down; results are read politely.
(function () {
  "use strict";
  function urlFrom(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : "";
  }
  var kbUrl = urlFrom("kb-url");
  var similarUrl = urlFrom("similar-url");
  var callerUrl = window.HOTLINE_CALLER_URL || "";
  var content = document.getElementById("content");
  var address = document.getElementById("address");
  var category = document.getElementById("category");
  var phone = document.getElementById("contact_phone");

  function load(url, params, targetId) {
    var target = document.getElementById(targetId);
    if (!url || !target) return;
    var query = new URLSearchParams(params).toString();
    fetch(url + "?" + query, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        target.innerHTML = html;
        // 引用 buttons in the results post in place (htmx), keeping what was typed.
        if (window.htmx) window.htmx.process(target);
      })
      .catch(function () { /* the side panels are a help, never a blocker */ });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }

  var refresh = debounce(function () {
    var text = (content.value || "").trim();
    if (text.length < 4) return;
    // The matter chosen (or, when none, the one the words say) ranks the answers.
    load(kbUrl, {q: text.slice(0, 1000), category: category ? category.value : ""},
         "knowledge-results");
    load(similarUrl, {text: text.slice(0, 1000), address: address ? address.value : "",
                      category: category ? category.value : ""}, "similar-results");
  }, 400);

  if (content) content.addEventListener("input", refresh);
  if (address) address.addEventListener("change", refresh);
  if (phone) phone.addEventListener("change", function () {
    load(callerUrl, {contact_phone: phone.value}, "caller-results");
  });
})();
