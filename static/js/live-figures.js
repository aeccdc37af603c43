// Keeps an exercise's results up to date while its emails are going out
// ("watching delivery"): every 15 seconds it fetches the page again and
// swaps in the parts marked data-live, until the page says sending is over.
// Without JavaScript the page is the same, with a "Refresh" link.
(function () {
  'use strict';
  var root = document.querySelector('[data-live-refresh]');
  if (!root) return;
  var status = document.getElementById('live-status');
  var timer = setInterval(update, 15000);

  function update() {
    fetch(window.location.href, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var fresh = next.getElementById(el.id);
          if (fresh) el.innerHTML = fresh.innerHTML;
        });
        if (status) {
          status.textContent = 'Figures updated at ' + new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }) + '.';
        }
        if (!next.querySelector('[data-live-refresh]')) clearInterval(timer);
      })
      .catch(function () { clearInterval(timer); });
  }
})();
