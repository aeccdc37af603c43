// Password strength feedback as you type. zxcvbn runs here in the browser:
// the password is not sent anywhere until the form is submitted, and the
// server applies the same rules then.
(function () {
  'use strict';
  // The strength word follows the time to guess it, and a password the
  // server would refuse (score below 3, or 2 from 12 characters) is never "Fair".
  function strength(seconds) {
    if (seconds < 60 * 60 * 24 * 30) { return 'Fair'; }
    if (seconds < 60 * 60 * 24 * 365 * 100) { return 'Strong'; }
    return 'Very strong';
  }
  document.querySelectorAll('input[data-strength-meter]').forEach(function (input) {
    var out = document.getElementById(input.getAttribute('data-strength-meter'));
    if (!out || typeof window.zxcvbn !== 'function') { return; }
    input.addEventListener('input', function () {
      var pw = input.value;
      if (!pw) { out.textContent = ''; return; }
      if (pw.length < 8) { out.textContent = 'Too short: use at least 8 characters (12 or more is better).'; return; }
      var r = window.zxcvbn(pw.slice(0, 100));
      var refused = r.score < (Array.from(pw).length >= 12 ? 2 : 3);
      var text = refused ? 'Too easy to guess: this would not be accepted.' : 'Strength: ' + strength(r.crack_times_seconds.offline_slow_hashing_1e4_per_second) + ' (about ' + r.crack_times_display.offline_slow_hashing_1e4_per_second + ' to guess).';
      if (r.feedback && r.feedback.warning) { text += ' ' + r.feedback.warning + '.'; }
      if (refused && r.feedback && r.feedback.suggestions && r.feedback.suggestions.length) {
        text += ' ' + r.feedback.suggestions.join(' ');
      }
      out.textContent = text;
    });
  });
})();
