// Samen's only page script: the live-connection indicator, and small helpers that htmx does not cover.
// No inline scripts anywhere (the CSP is script-src 'self').
(function () {
  "use strict";

  function setLiveState(state) {
    var live = document.getElementById("live");
    var status = document.getElementById("live-status");
    if (!live || !status) return;
    if (status.dataset.state === state) return;
    status.dataset.state = state;
    status.textContent = state === "online" ? live.dataset.online : live.dataset.offline;
  }

  document.addEventListener("htmx:ws:after:connection", function () { setLiveState("online"); });
  document.addEventListener("htmx:ws:close", function () { setLiveState("offline"); });
  document.addEventListener("htmx:ws:error", function () { setLiveState("offline"); });

  // Select the whole personal link on focus, so it is easy to copy on a phone.
  document.addEventListener("focusin", function (event) {
    if (event.target && event.target.id === "personal-link") event.target.select();
  });

  // After a failed form post, move focus to the error summary so keyboard and screen-reader users find it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();
