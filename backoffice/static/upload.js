// A member list is sent with XMLHttpRequest so the page shows how much of the file has gone
// up (the <progress> under the form, data-upload-progress); once the server has it, the batch's
// page follows, where its checks' progress is shown until they finish. Without this script the
// form is sent as an ordinary post and works the same.
(function () {
  "use strict";

  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var box = document.getElementById(form.getAttribute("data-upload-progress"));
  var bar = box && box.querySelector("progress");
  var note = box && box.querySelector(".upload-note");
  if (!bar) { return; }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    box.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        if (e.loaded >= e.total && note) { note.textContent = box.getAttribute("data-sent"); }
      }
    });
    xhr.addEventListener("load", function () {
      var landed = xhr.responseURL && new URL(xhr.responseURL, window.location.href);
      if (landed && landed.pathname !== window.location.pathname && xhr.status < 400) {
        window.location.assign(xhr.responseURL);  // the batch's page: its checks' progress
        return;
      }
      // Refused or invalid: the server's page with its message replaces this one.
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      if (button) { button.disabled = false; }
      if (note) { note.textContent = box.getAttribute("data-failed"); }
    });
    xhr.open("POST", window.location.href);  // the form posts to its own page
    xhr.send(new FormData(form));
  });
})();
