// Password strength feedback as you type. zxcvbn runs here in the browser:
// the password is not sent anywhere until the form is submitted, and the
// server applies the same rules then.
(function () {
  'use strict';
  var verdict = window.snPasswordVerdict; // static/js/password-verdict.js
  document.querySelectorAll('input[data-strength-meter]').forEach(function (input) {
    var out = document.getElementById(input.getAttribute('data-strength-meter'));
    if (!out || typeof window.zxcvbn !== 'function' || typeof window.snPasswordVerdict !== 'function') { return; }
    input.addEventListener('input', function () {
      var pw = input.value;
      if (!pw) { out.textContent = ''; return; }
      if (pw.length < 8) { out.textContent = 'Too short: use at least 8 characters (12 or more is better).'; return; }
      var r = window.zxcvbn(pw.slice(0, 100));
      var text = 'Strength: ' + verdict(pw, r, false) + '.';
      if (r.feedback && r.feedback.warning) { text += ' ' + r.feedback.warning + '.'; }
      if (r.score < 3 && r.feedback && r.feedback.suggestions && r.feedback.suggestions.length) {
        text += ' ' + r.feedback.suggestions.join(' ');
      }
      out.textContent = text;
    });
  });
})();
