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
def mail_goes_over_smtp(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return [
            checks.Warning(
                "EMAIL_BACKEND does not send mail over SMTP; signers get no confirmation mail.",
                id="safepassage.W002",
            )
        ]
    return []
