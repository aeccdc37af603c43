// Password practice: zxcvbn and the app's list of common passwords run here in
// the browser, so what is typed is never sent anywhere.
(function () {
  'use strict';
  var input = document.getElementById('practice-password');
  var out = document.getElementById('practice-result');
  if (!input || !out || typeof window.zxcvbn !== 'function' || typeof window.snPasswordVerdict !== 'function') { return; }
  var common = null;
  fetch('/training/password-practice/common-passwords.txt', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.text() : ''; })
    .then(function (t) {
      common = new Set(t.split('\n').map(function (l) { return l.trim(); }).filter(Boolean));
      show();
    })
    .catch(function () { common = new Set(); });
  var verdict = window.snPasswordVerdict; // static/js/password-verdict.js
  function line(text, strong) {
    var p = document.createElement('p');
    p.className = 'nhsuk-body';
    if (strong) { var b = document.createElement('strong'); b.textContent = text; p.appendChild(b); } else { p.textContent = text; }
    out.appendChild(p);
  }
  function show() {
    var pw = input.value;
    out.textContent = '';
    if (!pw) { return; }
    if (common && common.has(pw.toLowerCase())) {
      line('This is one of the most common passwords: criminals try it first. Safety Net would not accept it.', true);
    }
    if (pw.length < 8) { line('Too short: use at least 8 characters, and 12 or more is better.'); }
    var r = window.zxcvbn(pw.slice(0, 100));
    line('Strength: ' + verdict(pw, r, !!(common && common.has(pw.toLowerCase()))) + '.', true);
    line('Time for a criminal to guess it from a stolen, securely stored copy: ' + r.crack_times_display.offline_slow_hashing_1e4_per_second + '.');
    if (r.feedback && r.feedback.warning) { line(r.feedback.warning + '.'); }
    (r.feedback && r.feedback.suggestions || []).forEach(function (s) { line(s); });
    if (r.score >= 3 && pw.length >= 12) { line('Good choice. Keep it for one account only, and let a password manager remember it.'); }
  }
  input.addEventListener('input', show);
})();
