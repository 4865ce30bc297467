from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "safepassage.updates"
    verbose_name = _("Updates to supporters")

    def ready(self) -> None:
        from safepassage.updates import mail  # noqa: F401  (registers the update mail)
