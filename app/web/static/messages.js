// Appends the new messages of the thread shown on the page when the event stream (events.js)
// says one was posted: the page fetches them as an HTML fragment (an audited read).
(function () {
  var list = document.querySelector("[data-thread]");
  if (!list) {
    return;
  }
  var fetching = false;
  var again = false;
  function lastId() {
    var items = list.querySelectorAll("[data-message-id]");
    return items.length ? items[items.length - 1].getAttribute("data-message-id") : "";
  }
  function fetchNew() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    var after = lastId();
    var url = list.getAttribute("data-fragment") + (after ? "?apres=" + after : "");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html.trim()) {
          list.insertAdjacentHTML("beforeend", html);
          var empty = document.querySelector(".thread .empty");
          if (empty) {
            empty.remove();
          }
        }
      })
      .finally(function () {
        fetching = false;
        if (again) {
          again = false;
          fetchNew();
        }
      });
  }
  document.addEventListener("snp:message.posted", function (event) {
    if (event.detail && event.detail.thread === list.getAttribute("data-thread")) {
      fetchNew();
    }
  });
})();
