/* 事发位置: the browser's own position, asked only when the person presses the button.
 * No map and no tile server: the coordinates go into the form's longitude and latitude
 * fields and the 12345 locator uses them when the address names no division. Without
 * this script (or without permission) the form is sent with the address alone.
 */
(function () {
  "use strict";
  var button = document.querySelector("[data-locate]");
  if (!button || !("geolocation" in navigator)) return;
  var english = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var status = document.getElementById("locate-status");
  var text = {
    busy: english ? "Finding your position…" : "正在获取位置……",
    done: english ? "Position added: " : "已附上位置：",
    failed: english ? "Your position could not be read; the address alone will be sent." : "未能获取位置，将只提交地址。"
  };
  function say(message) { if (status) status.textContent = message; }
  button.hidden = false;
  button.addEventListener("click", function () {
    say(text.busy);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var lon = position.coords.longitude.toFixed(6);
        var lat = position.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = lon;
        document.getElementById("latitude").value = lat;
        say(text.done + lon + ", " + lat);
      },
      function () { say(text.failed); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
