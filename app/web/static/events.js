// Opens the signed-in user's event stream (GET /v1/events, with the session cookie) and
// dispatches each event on the document as CustomEvent("snp:<kind>", {detail: data}).
// The browser reconnects by itself and sends Last-Event-ID: missed events are replayed.
(function () {
  if (!window.EventSource) {
    return;
  }
  var kinds = ["referral.booked", "slot.taken", "job.progress", "message.posted", "message.read"];
  var source = new EventSource("/v1/events");
  source.addEventListener("open", function () {
    document.documentElement.setAttribute("data-events", "open");
  });
  kinds.forEach(function (kind) {
    source.addEventListener(kind, function (event) {
      var detail;
      try {
        detail = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      document.dispatchEvent(new CustomEvent("snp:" + kind, { detail: detail }));
    });
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
