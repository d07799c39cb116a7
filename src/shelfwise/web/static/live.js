/* Live dashboard: listen to the server's event stream and re-fetch the figures (an htmx
   "refresh" trigger on #figures) when stock moves anywhere. Bursts of events are
   coalesced into one refresh. EventSource reconnects by itself with Last-Event-ID. */
(function () {
  "use strict";
  var TOPICS = ["movement.posted", "hold.placed", "hold.posted", "hold.voided", "hold.expired"];
  var timer = null;

  function refresh() {
    var el = document.getElementById("figures");
    if (!el || !window.htmx) return;
    clearTimeout(timer);
    timer = setTimeout(function () { window.htmx.trigger(el, "refresh"); }, 150);
  }

  function start() {
    if (!window.EventSource || !document.getElementById("figures")) return;
    var es = new EventSource("/events");
    TOPICS.forEach(function (t) { es.addEventListener(t, refresh); });
    es.addEventListener("hello", function () { document.body.dataset.live = "on"; });
    es.onerror = function () { document.body.dataset.live = "reconnecting"; };
    window.addEventListener("pagehide", function () { es.close(); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
