// Password practice: zxcvbn and the app's list of common passwords run here in
// the browser, so what is typed is never sent anywhere.
(function () {
  'use strict';
  var input = document.getElementById('practice-password');
  var out = document.getElementById('practice-result');
  if (!input || !out || typeof window.zxcvbn !== 'function') { return; }
  var common = null;
  fetch('/training/password-practice/common-passwords.txt', { credentials: 'same-origin' })
    .then(function (r) { return r.ok ? r.text() : ''; })
    .then(function (t) {
      common = new Set(t.split('\n').map(function (l) { return l.trim(); }).filter(Boolean));
      show();
    })
    .catch(function () { common = new Set(); });
  // The server's rule (src/auth/password.rs): 8 to 256 characters, not a
  // common password, and zxcvbn score 3 or more (2 from 12 characters).
  function refused(pw, r) {
    var len = Array.from(pw).length;
    return len < 8 || len > 256 || (common && common.has(pw.toLowerCase())) || r.score < (len >= 12 ? 2 : 3);
  }
  // The strength word follows the time shown, so the two always agree.
  function strength(seconds) {
    if (seconds < 60 * 60 * 24 * 30) { return 'Fair'; }
    if (seconds < 60 * 60 * 24 * 365 * 100) { return 'Strong'; }
    return 'Very strong';
  }
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
    var no = refused(pw, r);
    line(no ? 'Too easy to guess: Safety Net would not accept it.' : 'Strength: ' + strength(r.crack_times_seconds.offline_slow_hashing_1e4_per_second) + '.', true);
    line('Time for a criminal to guess it (with a stolen copy of a well-protected password list): ' + r.crack_times_display.offline_slow_hashing_1e4_per_second + '.');
    if (r.feedback && r.feedback.warning) { line(r.feedback.warning + '.'); }
    (r.feedback && r.feedback.suggestions || []).forEach(function (s) { line(s); });
    if (!no && r.score >= 3 && pw.length >= 12) { line('Good choice. Keep it for one account only, and let a password manager remember it.'); }
  }
  input.addEventListener('input', show);
})();
