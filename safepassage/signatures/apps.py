from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "safepassage.signatures"

    def ready(self) -> None:
        from safepassage.signatures import mail  # noqa: F401  (registers the signer's mails)
