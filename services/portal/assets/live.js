// Reloads the dashboard when the server says a new summary was written (server-sent
// events from /dashboard/events). Without JavaScript the page is the same, just static.
(function () {
  if (!window.EventSource) return;
  var events = new EventSource('/dashboard/events');
  events.addEventListener('summary', function () {
    events.close();
    window.location.reload();
  });
})();
