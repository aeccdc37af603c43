// The print-friendly plan: once "Print this plan" has recorded the print
// (the page comes back with ?printed=1), open the browser's print dialog.
(function () {
  'use strict';
  if (/[?&]printed=1(&|$)/.test(window.location.search)) { window.print(); }
})();
