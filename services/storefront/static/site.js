// The buyers' site works without this file; with it, a form sent once is not sent again by a
// second tap while its answer loads on a slow line: a second code request would send a second
// code, and the first one to arrive would then be wrong. After a while (a load that failed) a
// tap sends it again.
"use strict";
var SENT_FOR_MS = 10000;
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
