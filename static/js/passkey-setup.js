// The second-factor setup page (templates/accounts/two_factor_setup.html). Once a passkey
// is added (django-otp-webauthn's script fires "otp_webauthn.register_complete"), show the
// page again: it then lists the new passkey, offers recovery codes and the way on.
"use strict";

document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
