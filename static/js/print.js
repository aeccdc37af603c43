// The print-friendly plan: a button that opens the browser's print dialog.
(function () {
  'use strict';
  var b = document.getElementById('print-now');
  if (b) { b.addEventListener('click', function () { window.print(); }); }
})();
