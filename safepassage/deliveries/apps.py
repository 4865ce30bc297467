from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    name = "safepassage.deliveries"
    verbose_name = _("Deliveries")

    def ready(self) -> None:
        from safepassage.deliveries import mail  # noqa: F401  (registers the delivery mail)
