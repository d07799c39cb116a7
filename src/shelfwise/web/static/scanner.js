/* Scanner screens: keep focus in the scan field, Enter moves to the next field (a
   keyboard-wedge scanner ends each scan with Enter), and give colour + sound feedback
   on the result the server sends back. No assets: the beep is WebAudio. */
(function () {
  "use strict";
  var audio = null;

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain(), t = audio.currentTime;
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1320 : 220;
      gain.gain.value = 0.12;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(t); osc.stop(t + (ok ? 0.12 : 0.45));
    } catch (e) { /* no audio device: colour alone */ }
  }

  function form() { return document.querySelector("form.scan-form"); }
  function fields(f) { return Array.prototype.slice.call(f.querySelectorAll("input.scan")); }

  /* The field a scan should go to: the first empty required one, else the first empty. */
  function target() {
    var f = form();
    if (!f) return null;
    var fs = fields(f);
    return fs.find(function (x) { return !x.value && !x.dataset.optional; }) ||
      fs.find(function (x) { return !x.value; }) || fs[fs.length - 1];
  }

  function refocus() {
    var t = target(), a = document.activeElement;
    if (t && (!a || a === document.body || a === document.documentElement)) t.focus();
  }

  function addScan(f, input) {
    var value = input.value.trim(), box = f.querySelector("textarea[name=scans]");
    if (!value) {
      if (box.value.trim()) f.requestSubmit();
      return;
    }
    box.value += value + "\n";
    var li = document.createElement("li");
    li.textContent = value;
    f.querySelector("ol.scanned").appendChild(li);
    input.value = "";
    beep(true);
  }

  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.key !== "Enter" || !el.matches || !el.matches("form.scan-form input.scan")) return;
    e.preventDefault();
    var f = el.form;
    if (el.classList.contains("accumulate")) { addScan(f, el); return; }
    var fs = fields(f), i = fs.indexOf(el);
    var missing = fs.find(function (x) { return !x.value && !x.dataset.optional; });
    var next = fs.slice(i + 1).find(function (x) { return !x.value; });
    if (missing && next) { next.focus(); return; }
    if (missing) { missing.focus(); return; }
    f.requestSubmit();
  });

  /* Pressing the button after scanning into the accumulate field keeps that scan. */
  document.addEventListener("submit", function (e) {
    var acc = e.target.querySelector && e.target.querySelector("input.accumulate");
    if (acc && acc.value.trim()) addScan(e.target, acc);
  }, true);

  document.addEventListener("focusout", function () { setTimeout(refocus, 0); });
  document.addEventListener("click", function (e) {
    if (!e.target.closest("a, button, input, select, textarea, label")) setTimeout(refocus, 0);
  });

  document.addEventListener("htmx:afterSettle", function () {
    var r = document.querySelector("#panel [data-result]");
    if (r) {
      var ok = r.dataset.result === "good";
      beep(ok);
      document.body.classList.remove("flash-good", "flash-bad");
      document.body.classList.add(ok ? "flash-good" : "flash-bad");
      setTimeout(function () { document.body.classList.remove("flash-good", "flash-bad"); }, 700);
    }
    var t = target();
    if (t) t.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var t = target();
    if (t) t.focus();
  });
})();
