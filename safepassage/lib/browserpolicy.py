"""What browsers may do with our pages: the Content-Security-Policy and the Permissions-Policy.

Both are settings (``CONTENT_SECURITY_POLICY`` for django-csp, and
``PERMISSIONS_POLICY`` for ``core.middleware.PermissionsPolicyMiddleware``);
their values are written here to keep settings.py readable.

Content-Security-Policy on every response (docs/security.md, "Browser
hardening"): scripts and styles come from our own static files; an inline
<script> or <style> runs only with this request's nonce
({{ request.csp_nonce }}), and no page may use style="..." or on...="..."
attributes. A view that may be framed (the embedded signing form) loosens
frame-ancestors for itself alone with csp.decorators and
django.views.decorators.clickjacking.xframe_options_exempt.

Permissions-Policy: powerful browser features no page of ours uses, refused
for our pages and anything they might embed. WebAuthn (passkeys) stays
allowed for our own origin; "find your nearest mission" asks for a place
name, never the position.
"""

from __future__ import annotations

from typing import Any

from csp import constants as csp


def content_security_policy(https: bool) -> dict[str, Any]:
    return {
        "DIRECTIVES": {
            "default-src": [csp.SELF],
            "script-src": [csp.SELF, csp.NONCE],
            "style-src": [csp.SELF, csp.NONCE],
            "img-src": [csp.SELF],
            "object-src": [csp.NONE],
            "base-uri": [csp.NONE],
            "form-action": [csp.SELF],
            "frame-ancestors": [csp.NONE],
            "upgrade-insecure-requests": https,
        }
    }


REFUSED = (
    "accelerometer autoplay browsing-topics camera display-capture encrypted-media geolocation "
    "gyroscope hid idle-detection magnetometer microphone midi payment picture-in-picture "
    "screen-wake-lock serial usb xr-spatial-tracking"
)
PERMISSIONS_POLICY: dict[str, list[str]] = {
    **{feature: [] for feature in REFUSED.split(" ")},
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}
