"""Grades of departments and their calibration (SPEC §9).

- GradingPolicy: what an organization grades and how (one row, made on first save; the
  defaults apply until then).
- GradeBand: the organization's scale, ordered from the best grade (the default scale of
  grades.rules until HR saves one). Both are audited by database triggers (pghistory).
- Calibration: a graded period's grades while HR and executives calibrate them, then
  published (frozen). CalibrationGrade: a department's grade in it (a move while open;
  score, computed and final grade and coefficient frozen when published).
  CalibrationEvent: every opening, move, publication and reopening (who, when, from → to,
  why).
"""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from metrics.models import Period
from perfhub.tenancy import TenantModel

GRADE_LABEL = 10


class Grouping(models.TextChoices):
    BY_KIND = "by_kind", _("Management and business departments separately")
    COMPANY = "company", _("The whole company together")


class PublishRule(models.TextChoices):
    REFUSE = "refuse", _("Refuse to publish while the guideline is not met")
    OVERRIDE = "override", _("Allow publishing with a reason")


class ShareKind(models.TextChoices):
    NONE = "", _("no guideline")
    MAX = "max", _("at most")
    MIN = "min", _("at least")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), model_name="GradingPolicyEvent")
class GradingPolicy(TenantModel):
    grade_months = models.BooleanField(_("grade months"), default=False)
    grade_quarters = models.BooleanField(_("grade quarters"), default=True)
    grade_years = models.BooleanField(_("grade years"), default=True)
    grouping = models.CharField(
        _("guideline applies to"), max_length=10, choices=Grouping.choices, default=Grouping.BY_KIND
    )
    publish_rule = models.CharField(
        _("when the guideline is not met"),
        max_length=10,
        choices=PublishRule.choices,
        default=PublishRule.REFUSE,
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="grading_policy_one")]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="GradeBandEvent",
)
class GradeBand(TenantModel):
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("grade"), max_length=GRADE_LABEL)
    lowest_score = models.DecimalField(
        _("lowest score"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    coefficient = models.DecimalField(_("coefficient"), max_digits=6, decimal_places=3)
    share_kind = models.CharField(
        _("guideline"), max_length=3, choices=ShareKind.choices, blank=True, default=""
    )
    share_percent = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "position"], name="grade_band_position")
        ]


class CalibrationState(models.TextChoices):
    OPEN = "open", _("being calibrated")
    PUBLISHED = "published", _("published")


class Calibration(TenantModel):
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CalibrationState.choices, default=CalibrationState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True)
    override_reason = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-period__start", "period__end"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="calibration_one")
        ]


class CalibrationGrade(TenantModel):
    """A department's grade in a calibration. While open: `moved_to` (blank: the computed
    grade stands) and the reason. Once published: the score, computed and final grade and
    coefficient as they were then (`group`: management, business or company)."""

    calibration = models.ForeignKey(Calibration, on_delete=models.CASCADE, related_name="grades")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    moved_to = models.CharField(max_length=GRADE_LABEL, blank=True)
    reason = models.TextField(blank=True, max_length=2000)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField(null=True)
    # frozen at publication
    score = models.DecimalField(max_digits=9, decimal_places=4, null=True)
    computed = models.CharField(max_length=GRADE_LABEL, blank=True)
    final = models.CharField(max_length=GRADE_LABEL, blank=True)
    coefficient = models.DecimalField(max_digits=6, decimal_places=3, null=True)
    group = models.CharField(max_length=12, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "calibration", "department"], name="calibration_grade_one"
            )
        ]


class CalibrationAction(models.TextChoices):
    OPEN = "open", _("opened")
    MOVE = "move", _("moved")
    PUBLISH = "publish", _("published")
    REOPEN = "reopen", _("reopened")
    APPEAL = "appeal", _("appealed")
    RESOLVE = "resolve", _("appeal resolved")


class CalibrationEvent(TenantModel):
    calibration = models.ForeignKey(Calibration, on_delete=models.CASCADE, related_name="events")
    department = models.ForeignKey(
        Department, null=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=10, choices=CalibrationAction.choices)
    from_grade = models.CharField(max_length=GRADE_LABEL, blank=True)
    to_grade = models.CharField(max_length=GRADE_LABEL, blank=True)
    reason = models.TextField(blank=True, max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]


class AppealState(models.TextChoices):
    OPEN = "open", _("waiting for a decision")
    UPHELD = "upheld", _("grade upheld")
    CHANGED = "changed", _("grade changed")


class GradeAppeal(TenantModel):
    """A manager's appeal of a department's published grade: once per department and
    calibration, with a reason; HR or an executive upholds the grade or changes it, with a
    reason (grades.services.appeal_raise, appeal_resolve)."""

    calibration = models.ForeignKey(Calibration, on_delete=models.CASCADE, related_name="appeals")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    grade = models.CharField(max_length=GRADE_LABEL)  # the grade appealed against
    reason = models.TextField(_("reason for the appeal"), max_length=2000)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=AppealState.choices, default=AppealState.OPEN)
    new_grade = models.CharField(max_length=GRADE_LABEL, blank=True)
    resolution = models.TextField(blank=True, max_length=2000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "calibration", "department"], name="grade_appeal_once"
            )
        ]
