// Reloads a page showing a job under way: the element with data-refresh gives the seconds.
// A part also marked data-live is updated by the event stream instead (live.js), when the
// browser has one.
(function () {
  var marked = document.querySelector("[data-refresh]");
  if (marked && !(window.EventSource && marked.hasAttribute("data-live"))) {
    setTimeout(function () {
      window.location.reload();
    }, 1000 * Number(marked.getAttribute("data-refresh")));
  }
})();
