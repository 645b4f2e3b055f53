// Reloads a page that asks for it (data-refresh-seconds on <body>).
(function () {
  var seconds = Number(document.body.getAttribute("data-refresh-seconds"));
  if (seconds > 0) {
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
