/* Upload progress for forms marked data-progress: sends the form with XMLHttpRequest
   so the bar can follow the upload, then shows the server's answer as a normal page.
   Without JavaScript the form posts as usual. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest || !window.history) return;
      var hasFile = Array.prototype.some.call(
        form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
      if (!hasFile) return;
      ev.preventDefault();
      var box = document.getElementById("upload-progress");
      var bar = document.getElementById("upload-bar");
      var pct = document.getElementById("upload-pct");
      if (box) box.hidden = false;
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable || !bar) return;
        bar.max = e.total; bar.value = e.loaded;
        if (pct) pct.textContent = Math.round(e.loaded * 100 / e.total) + "%";
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL) window.history.replaceState(null, "", xhr.responseURL);
        document.open(); document.write(xhr.responseText); document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(data);
    });
  });
})();
