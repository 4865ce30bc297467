"""Sending through a mail provider (django-anymail) instead of SMTP, from the environment.

``MAIL_PROVIDER`` names the provider (docs/mail.md); unset, mail goes over SMTP
as configured by the ``EMAIL_*`` settings. Only the values that are set end up
in ``ANYMAIL``, so an unconfigured webhook's key is absent and its endpoint
refuses every call.
"""

from __future__ import annotations

from typing import Any

from safepassage.lib.env import ConfigurationError, env_str

# Each provider's name for its API key in ANYMAIL.
PROVIDERS = {"mailgun": "MAILGUN_API_KEY", "postmark": "POSTMARK_SERVER_TOKEN"}


def provider_settings(provider: str, smtp_backend: str) -> tuple[str, dict[str, Any]]:
    """The EMAIL_BACKEND and ANYMAIL settings for ``provider`` ("" for SMTP)."""
    if provider and provider not in PROVIDERS:
        raise ConfigurationError(f"MAIL_PROVIDER must be one of {', '.join(sorted(PROVIDERS))}")
    backend = f"anymail.backends.{provider}.EmailBackend" if provider else smtp_backend
    values = {
        PROVIDERS.get(provider, "MAIL_PROVIDER_API_KEY"): env_str("MAIL_PROVIDER_API_KEY"),
        "MAILGUN_SENDER_DOMAIN": env_str("MAILGUN_SENDER_DOMAIN"),
        "MAILGUN_API_URL": env_str("MAILGUN_API_URL"),
        # Verifies the signature of Mailgun's webhooks (HMAC-SHA256).
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY"),
        # "user:password" the provider sends with every webhook (HTTP basic auth).
        "WEBHOOK_SECRET": env_str("MAIL_WEBHOOK_SECRET"),
    }
    return backend, {key: value for key, value in values.items() if value}
