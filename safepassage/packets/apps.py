from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PacketsConfig(AppConfig):
    name = "safepassage.packets"
    verbose_name = _("Delivery packets")

    def ready(self) -> None:
        from safepassage.packets import signals  # noqa: F401  (deletes files with their rows)
