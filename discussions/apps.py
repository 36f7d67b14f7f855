from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    # Above reviews in the import order: it reads KPIs, scorecards, feedback and goals and
    # sends its e-mails through reviews.notifications. Lower apps show a thread by loading
    # its template tag library (`{% load discussions %}`), never by importing it.
    name = "discussions"
    verbose_name = _("Discussions")
