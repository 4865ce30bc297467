from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safepassage.accounts"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        from safepassage.accounts import security  # noqa: F401  (the sign-in audit receivers)
        from safepassage.accounts.superuser_admin import restrict_to_superusers

        # After the admin's autodiscovery: accounts, lockouts, devices, tasks.
        restrict_to_superusers()
