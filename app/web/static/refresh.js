// Reloads a page showing a job under way: the element with data-refresh gives the seconds.
(function () {
  var marked = document.querySelector("[data-refresh]");
  if (marked) {
    setTimeout(function () {
      window.location.reload();
    }, 1000 * Number(marked.getAttribute("data-refresh")));
  }
})();
