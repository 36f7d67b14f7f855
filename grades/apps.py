from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradesConfig(AppConfig):
    # Department grades and their calibration (SPEC §9): reads the scorecards, never writes
    # them. Imports flow reviews → grades → scorecards → metrics → departments.
    name = "grades"
    verbose_name = _("Grades and calibration")
