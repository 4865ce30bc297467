// Behaviour shared by every public page. No inline handlers: the Content-Security-Policy
// runs only scripts from our own static files (docs/security.md, "Browser hardening").
"use strict";

// A <select data-submit-on-change> sends its form as soon as a choice is made (the
// language picker); a <noscript> button does the same without JavaScript.
document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
  select.addEventListener("change", function () {
    select.form.submit();
  });
});

// A form sent back with errors: move the focus to its summary (role="alert"), so that a
// screen reader reads it and a keyboard user starts from the list of links to the fields.
var errorSummary = document.querySelector("[data-error-summary]");
if (errorSummary) {
  errorSummary.focus();
}
