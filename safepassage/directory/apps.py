from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "safepassage.directory"
    verbose_name = _("Mission directory")

    def ready(self) -> None:
        from safepassage.directory import (
            mail,  # noqa: F401  (registers the directory's mails)
            receivers,  # noqa: F401  (routes confirmed signatures)
        )
