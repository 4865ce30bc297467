from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "safepassage.signatures"
