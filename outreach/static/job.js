// The job page (plans/job.html): poll the job's JSON every second, show its progress, and
// reload the page when it has finished (the server then opens the new plan or shows the error).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-url]");
  if (!box || box.getAttribute("data-job-finished") === "true") return;
  var bar = box.querySelector(".job-progress");
  var percent = box.querySelector(".job-percent");
  var text = box.querySelector(".job-text");

  function show(data) {
    if (bar) bar.value = data.percent;
    if (percent) percent.textContent = data.percent + "%";
    if (text && data.text) text.textContent = data.text;
  }

  function poll() {
    fetch(box.getAttribute("data-job-url"), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (data) {
        if (data) {
          show(data);
          if (data.finished) {
            window.location.replace(box.getAttribute("data-page-url"));
            return;
          }
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 1000); // offline for a moment: try again
      });
  }

  window.setTimeout(poll, 1000);
})();
