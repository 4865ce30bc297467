import ipaddress
from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def demo_mode_is_not_for_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEMO_MODE:
        return [
            checks.Error(
                "SAFEPASSAGE_DEMO is on: staff could read every mail the application sent.",
                hint="Unset SAFEPASSAGE_DEMO and configure a real mail server (EMAIL_HOST).",
                id="safepassage.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def mail_has_a_real_sender(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEFAULT_FROM_EMAIL.rstrip(">").endswith("@localhost"):
        return [
            checks.Warning(
                "DEFAULT_FROM_EMAIL is a localhost address; mail providers will reject or bin it.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your own domain.",
                id="safepassage.W003",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def mail_goes_over_smtp(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return [
            checks.Warning(
                "EMAIL_BACKEND does not send mail over SMTP; signers get no confirmation mail.",
                id="safepassage.W002",
            )
        ]
    return []


HARDENING_MIDDLEWARE = (
    "safepassage.core.middleware.ContentSecurityPolicyMiddleware",
    "safepassage.core.middleware.PermissionsPolicyMiddleware",
    "safepassage.core.middleware.ValidTextMiddleware",
)


@checks.register(checks.Tags.security, deploy=True)
def browser_hardening(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """The CSP, Permissions-Policy, text check and cookies of docs/security.md."""
    problems: list[checks.CheckMessage] = []
    missing = [name for name in HARDENING_MIDDLEWARE if name not in settings.MIDDLEWARE]
    if missing:
        problems.append(
            checks.Warning(
                f"MIDDLEWARE lacks {', '.join(missing)}.",
                hint="See docs/security.md, section Browser hardening.",
                id="safepassage.W050",
            )
        )
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives: dict[str, Any] = policy.get("DIRECTIVES", {})
    for name in ("default-src", "script-src", "style-src"):
        sources = [str(source) for source in directives.get(name) or ()]
        if not sources or any(s in ("'unsafe-inline'", "'unsafe-eval'", "*") for s in sources):
            problems.append(
                checks.Warning(
                    f"The Content-Security-Policy's {name} is missing or allows inline code.",
                    id="safepassage.W051",
                )
            )
    for name in ("frame-ancestors", "object-src", "base-uri"):
        if list(directives.get(name) or ()) != ["'none'"]:
            problems.append(
                checks.Warning(
                    f"The Content-Security-Policy's {name} is not 'none'.",
                    hint="Loosen frame-ancestors per view (csp_update), never for the whole site.",
                    id="safepassage.W052",
                )
            )
    if settings.HTTPS:
        for prefix in ("SESSION", "CSRF"):
            name = getattr(settings, f"{prefix}_COOKIE_NAME")
            if not (
                name.startswith("__Host-")
                and getattr(settings, f"{prefix}_COOKIE_SECURE")
                and getattr(settings, f"{prefix}_COOKIE_DOMAIN") is None
                and getattr(settings, f"{prefix}_COOKIE_PATH") == "/"
            ):
                problems.append(
                    checks.Warning(
                        f"{prefix}_COOKIE_NAME should be a Secure __Host- cookie under HTTPS.",
                        id="safepassage.W053",
                    )
                )
    return problems


@checks.register(checks.Tags.security, deploy=True)
def passkeys_have_a_domain(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Browsers refuse a passkey whose relying party is an IP address: it must be a host name."""
    try:
        ipaddress.ip_address(str(settings.OTP_WEBAUTHN_RP_ID).strip("[]"))
    except ValueError:
        return []
    return [
        checks.Warning(
            f"OTP_WEBAUTHN_RP_ID is an IP address ({settings.OTP_WEBAUTHN_RP_ID}): "
            "browsers refuse to make or use passkeys for it.",
            hint="Serve the site under a domain name in SITE_URL (or set OTP_WEBAUTHN_RP_ID).",
            id="safepassage.W060",
        )
    ]
