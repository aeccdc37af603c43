// The words the password meter and the practice tool use, in one place: the
// time a criminal would need against a stolen copy stored the way Safety Net
// stores passwords (slow hashing), and never a kind word for a password the
// server would refuse (the same rule as auth::password::check).
window.snPasswordVerdict = function (pw, r, isCommon) {
  'use strict';
  var needed = pw.length >= 12 ? 2 : 3;
  if (pw.length < 8 || isCommon || r.score < needed) { return 'Too easy to guess: Safety Net would not accept it'; }
  var secs = r.crack_times_seconds.offline_slow_hashing_1e4_per_second;
  if (secs < 86400) { return 'Weak'; }
  if (secs < 86400 * 365) { return 'Fair'; }
  if (secs < 86400 * 365 * 100) { return 'Strong'; }
  return 'Very strong';
};
