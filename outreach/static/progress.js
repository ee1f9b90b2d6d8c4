/* Live progress of the day's routes (plan page, home map panel).
 *
 * An element with data-progress-url is polled every 5 seconds; the JSON
 * ({routes: [{route_id, done, planned, text}], stops: {"<stop id>": {outcome, label}},
 *   done, planned}) updates, inside that element:
 *   [data-route-progress="<route id>"]  its [data-route-text] and <progress>
 *   [data-stop-outcome="<stop id>"]      the outcome badge (text label, not colour alone)
 *   [data-stop-row="<stop id>"]          gets the class "done"
 *   [data-progress-total]                "dikunjungi X / Y" over every route
 *   [data-stop-marker="<stop id>"]       a map marker anywhere in the page: a tick, class "done"
 *   [data-progress-status]               when it last updated, or why it could not
 * No framework; nothing leaves the app's own origin.
 */
(function () {
  "use strict";
  var INTERVAL_MS = 5000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock() {
    var d = new Date();
    return pad(d.getHours()) + "." + pad(d.getMinutes()) + "." + pad(d.getSeconds());
  }

  function badge(stop) {
    var span = document.createElement("span");
    span.className = "badge outcome outcome-" + stop.outcome;
    span.textContent = stop.label;
    return span;
  }

  function flash(el) {
    el.classList.add("just-updated");
    window.setTimeout(function () { el.classList.remove("just-updated"); }, 4000);
  }

  function apply(root, data) {
    (data.routes || []).forEach(function (r) {
      root.querySelectorAll('[data-route-progress="' + r.route_id + '"]').forEach(function (el) {
        if (el.getAttribute("data-done") === String(r.done)) { return; }
        el.setAttribute("data-done", String(r.done));
        var text = el.querySelector("[data-route-text]");
        if (text) { text.textContent = r.text; }
        var bar = el.querySelector("progress");
        if (bar) { bar.max = r.planned || 1; bar.value = r.done; }
        flash(el);
      });
    });
    var stops = data.stops || {};
    root.querySelectorAll("[data-stop-outcome]").forEach(function (cell) {
      var id = cell.getAttribute("data-stop-outcome");
      var stop = stops[id];
      if (!stop || cell.getAttribute("data-outcome") === stop.outcome) { return; }
      cell.setAttribute("data-outcome", stop.outcome);
      cell.replaceChildren(badge(stop));
      root.querySelectorAll('[data-stop-row="' + id + '"]').forEach(function (row) {
        row.classList.add("done");
      });
      flash(cell);
    });
    // Stop markers on a map on the page (anywhere in the document): a tick before the number.
    Object.keys(stops).forEach(function (id) {
      document.querySelectorAll('[data-stop-marker="' + id + '"]').forEach(function (el) {
        if (el.classList.contains("done")) { return; }
        el.classList.add("done");
        el.textContent = "\u2713" + (el.getAttribute("data-sequence") || "");
        el.title = stops[id].label;
      });
    });
    root.querySelectorAll("[data-progress-total]").forEach(function (el) {
      el.textContent = "dikunjungi " + data.done + " / " + data.planned;
    });
  }

  function status(root, text, failed) {
    root.querySelectorAll("[data-progress-status]").forEach(function (el) {
      el.textContent = text;
      el.classList.toggle("warn", !!failed);
    });
  }

  function watch(root) {
    var url = root.getAttribute("data-progress-url");
    var timer = null;
    var busy = false;

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, INTERVAL_MS);
    }

    function poll() {
      if (busy) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (res) {
          var type = res.headers.get("Content-Type") || "";
          if (!res.ok || type.indexOf("application/json") === -1) {
            throw new Error(res.status === 200 ? "sesi" : String(res.status));
          }
          return res.json();
        })
        .then(function (data) {
          apply(root, data);
          status(root, "Hasil kunjungan diperbarui otomatis, terakhir pukul " + clock() + ".", false);
        })
        .catch(function (err) {
          var text = err && err.message === "sesi"
            ? "Sesi berakhir: muat ulang halaman dan masuk lagi untuk melihat hasil terbaru."
            : "Belum dapat memperbarui hasil (koneksi terputus?). Mencoba lagi…";
          status(root, text, true);
        })
        .then(function () { busy = false; schedule(); });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { window.clearTimeout(timer); poll(); }
    });
    schedule();
  }

  function start() {
    document.querySelectorAll("[data-progress-url]").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
