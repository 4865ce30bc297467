from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safepassage.accounts"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        from safepassage.accounts import mail  # noqa: F401  (registers the invitation mail)
