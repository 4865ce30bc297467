from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "safepassage.signatures"

    def ready(self) -> None:
        # Registers the signer's mails; counts bounced confirmation mails (outbox signal).
        from safepassage.signatures import bounces, mail  # noqa: F401
