// Password strength feedback as you type. zxcvbn runs here in the browser:
// the password is not sent anywhere until the form is submitted, and the
// server applies the same rules then.
(function () {
  'use strict';
  // One rule for the words, shared with the time shown: the time a criminal
  // would need against a stolen copy stored the way Safety Net stores
  // passwords (slow hashing), and never a kind word for a password the
  // server would refuse (the same rule as auth::password::check).
  function verdict(pw, r, isCommon) {
    var needed = pw.length >= 12 ? 2 : 3;
    if (pw.length < 8 || isCommon || r.score < needed) { return 'Too easy to guess: Safety Net would not accept it'; }
    var secs = r.crack_times_seconds.offline_slow_hashing_1e4_per_second;
    if (secs < 86400) { return 'Weak'; }
    if (secs < 86400 * 365) { return 'Fair'; }
    if (secs < 86400 * 365 * 100) { return 'Strong'; }
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
      var text = 'Strength: ' + verdict(pw, r, false) + '.';
      if (r.feedback && r.feedback.warning) { text += ' ' + r.feedback.warning + '.'; }
      if (r.score < 3 && r.feedback && r.feedback.suggestions && r.feedback.suggestions.length) {
        text += ' ' + r.feedback.suggestions.join(' ');
      }
      out.textContent = text;
    });
  });
})();
