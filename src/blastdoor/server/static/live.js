// Live updates: when the server says something changed (server-sent events on /events), re-fetch every
// [data-live] region of the page from its URL and swap it in. The fragments are rendered (and escaped)
// by the server; this script only moves them. Without JavaScript the pages still work on reload.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live]");
  if (!regions.length || !window.EventSource || !window.fetch) return;
  var timer = null;

  function refresh() {
    timer = null;
    regions.forEach(function (region) {
      fetch(region.getAttribute("data-live"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) { region.innerHTML = html; })
        .catch(function () { /* signed out or the server is gone: the next event tries again */ });
    });
  }

  var since = document.body.getAttribute("data-since") || "";
  var source = new EventSource("/events" + (since ? "?since=" + encodeURIComponent(since) : ""));
  source.addEventListener("change", function () {
    // A burst of changes (two votes, a sweep) becomes one refresh.
    if (timer === null) timer = window.setTimeout(refresh, 150);
  });
})();
