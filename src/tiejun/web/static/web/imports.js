// The import job page: polls the job's JSON and moves the progress bar; once the job has
// finished, reloads the page to show the result. Without script the page refreshes itself.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-poll]");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-job-poll");
  var bar = document.getElementById("job-progress");
  var state = document.getElementById("job-state");
  var cancel = document.getElementById("job-cancel");
  var delay = 700;

  function show(job) {
    if (bar) {
      bar.value = job.percent;
      bar.textContent = job.percent + "%";
    }
    if (state) {
      state.textContent = job.state_label;
      state.setAttribute("data-state", job.state);
    }
    ["rows_read", "rows_checked", "rows_written"].forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell) cell.textContent = job[name];
    });
    if (cancel && !job.cancellable) cancel.hidden = true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.2, 3000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, delay);
})();
