from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "safepassage.reports"

    def ready(self) -> None:
        from safepassage.reports import signals  # noqa: F401  (refreshes after moderation)
