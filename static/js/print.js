// The print-friendly plan: once "Print this plan" has recorded the print
// (the page comes back with ?done=printed), open the browser's print dialog.
(function () {
  'use strict';
  if (/[?&]done=printed(&|$)/.test(window.location.search)) { window.print(); }
})();
