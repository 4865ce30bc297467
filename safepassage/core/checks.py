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
