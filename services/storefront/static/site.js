// The buyers' site works without this file. With it, a form sent back with errors starts at its
// summary (a screen reader reads it, Tab goes on to its links), and a form sent once is not sent
// again by a second tap while its answer loads on a slow line: a second code request would send
// a second code, and the first one to arrive would then be wrong. After a while (a load that
// failed) a tap sends it again.
"use strict";
var SENT_FOR_MS = 10000;
var summary = document.querySelector(".error-summary");
if (summary) summary.focus();
document.addEventListener("submit", function (event) {
  var form = event.target, now = Date.now();
  if (form.sentAt && now - form.sentAt < SENT_FOR_MS) {
    event.preventDefault();
    return;
  }
  form.sentAt = now;
});
// A page brought back by the Back button is a fresh start.
window.addEventListener("pageshow", function (event) {
  if (event.persisted) {
    Array.prototype.forEach.call(document.forms, function (form) { form.sentAt = 0; });
  }
});
