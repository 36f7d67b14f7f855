from django.apps import AppConfig


class PerfhubConfig(AppConfig):
    name = "perfhub"
    verbose_name = "PerfHub"
