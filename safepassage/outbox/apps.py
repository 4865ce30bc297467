from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "safepassage.outbox"

    def ready(self) -> None:
        from anymail.signals import tracking

        from safepassage.outbox.bounces import record

        # Bounce and complaint reports of the mail provider's webhooks (docs/mail.md).
        tracking.connect(record, dispatch_uid="safepassage.outbox.bounces")
