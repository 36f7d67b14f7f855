from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefingsConfig(AppConfig):
    # The monthly briefing book (issue 17): a PDF of what the other apps stored. Reads
    # them, never writes them. Imports flow briefings → reviews → grades → scorecards →
    # metrics → departments; nothing imports briefings.
    name = "briefings"
    verbose_name = _("Briefing books")
