// Behaviour every page shares, kept out of the HTML so the Content-Security-Policy allows no
// inline script: filters that apply on change, and the print button of a printable statement.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
})();
