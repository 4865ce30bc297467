from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "safepassage.events"
    verbose_name = _("Day of action")

    def ready(self) -> None:
        from safepassage.events import mail  # noqa: F401  (registers the RSVP mail)
