from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamConfig(AppConfig):
    """The team's pages: invitations, the coordinators' dashboard, the organisers' board."""

    name = "safepassage.team"
    verbose_name = _("Team")

    def ready(self) -> None:
        from safepassage.team import (
            mail,  # noqa: F401  (registers the invitation mail)
            receivers,  # noqa: F401  (missions with planned deliveries)
        )
