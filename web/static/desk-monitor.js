// The desk's live monitor: while a sale waits for its clock or takes bids,
// the page is read again every few seconds, unless the clerk is typing.
(function () {
  "use strict";
  var every = 3000;
  setInterval(function () {
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) return;
    if (document.querySelector("form[data-dirty]")) return;
    location.replace(location.pathname);
  }, every);
  document.addEventListener("input", function (e) {
    var f = e.target && e.target.form;
    if (f) f.setAttribute("data-dirty", "1");
  });
})();
