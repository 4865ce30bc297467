from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "safepassage.campaigns"
