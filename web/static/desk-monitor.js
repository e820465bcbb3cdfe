// The desk's live monitor: while a sale waits for its clock or takes bids,
// the state, the high bid, the bids and the result are read again every
// few seconds and replaced in place; the forms on the page are left alone
// unless the clerk is working in the refreshed part.
(function () {
  "use strict";
  var every = 2000;
  var timer = setInterval(function () {
    var live = document.getElementById("live");
    if (!live || live.contains(document.activeElement)) return;
    fetch(location.pathname, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      ["live", "sale-state"].forEach(function (id) {
        var now = document.getElementById(id), next = doc.getElementById(id);
        if (now && next) now.innerHTML = next.innerHTML;
      });
      if (!doc.querySelector('script[src$="desk-monitor.js"]')) clearInterval(timer);
    }).catch(function () { /* the next round tries again */ });
  }, every);
})();
