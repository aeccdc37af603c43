// Confirms a real browser opened the page (link scanners rarely run scripts).
(function () {
  var t = document.body.getAttribute('data-t');
  if (t && window.fetch) { fetch('/b/' + t, { method: 'POST', keepalive: true }).catch(function () {}); }
})();
