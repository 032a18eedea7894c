// Updates the parts of a page marked data-live="<kinds>" (each with an id) when one of those
// events arrives (events.js): the page is fetched again and each marked part replaced by its
// new version, without a reload.
(function () {
  var parts = document.querySelectorAll("[data-live][id]");
  if (!parts.length) {
    return;
  }
  var fetching = false;
  var again = false;
  function update() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next) {
            part.replaceWith(document.importNode(next, true));
          }
        });
      })
      .finally(function () {
        fetching = false;
        if (again) {
          again = false;
          update();
        }
      });
  }
  var kinds = {};
  parts.forEach(function (part) {
    part.getAttribute("data-live").split(" ").forEach(function (kind) {
      kinds[kind] = true;
    });
  });
  Object.keys(kinds).forEach(function (kind) {
    document.addEventListener("snp:" + kind, update);
  });
})();
