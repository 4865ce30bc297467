from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "safepassage.api"
