"""Computed scorecards (written only by the roll-up jobs), organization indices,
recalculation runs and goals. The tables kept the names they had in the reviews app
(db_table): the models moved, the rows did not."""

from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from departments.models import Department
from metrics.messages import not_scored_message
from metrics.models import VALUE, Kpi, Period
from metrics.scoring_rules import NOT_SCORED_CHANGED, not_scored_reason
from perfhub.tenancy import TenantModel

SCORE: dict[str, Any] = {"max_digits": 9, "decimal_places": 4}


class Status(models.TextChoices):
    GREEN = "green", _("green")
    AMBER = "amber", _("amber")
    RED = "red", _("red")
    GREY = "grey", _("grey")


# Scorecards are derived rows, rebuilt by scorecards.rollup from the tables they point to (its
# statements join them), and written by the hundred thousand: their references are not
# checked row by row by the database (deletes still cascade, through Django), and no index
# is kept for a column alone — every read goes through the organization first, which the
# key or a composite index leads with. An index costs every one of those rows a write (the
# roll-up benchmark went from 6.0 s to 3.0 s without the single-column ones and the
# organization's row-by-row key check). The price: an operator deleting a department, KPI
# or period in the admin scans these tables to cascade.
DERIVED: dict[str, Any] = {
    "on_delete": models.CASCADE,
    "related_name": "+",
    "db_constraint": False,
    "db_index": False,
}


def derived_organization():
    """The organization column of a derived table: cascades through Django like every
    tenant row's, but neither checked row by row nor indexed alone (see DERIVED)."""
    return models.ForeignKey("departments.Organization", editable=False, **DERIVED)


class ScorecardLine(TenantModel):
    """One KPI of a department in one period: the (aggregated) actual, the target that
    applies to the period, the score and its status. Written by scorecards.rollup only.

    Its key is (organization, period, department, KPI): one index serves the upsert, a
    period's lines and a department's lines in a period; no surrogate id to maintain."""

    pk = models.CompositePrimaryKey("organization", "period", "department", "kpi")
    organization = derived_organization()
    department = models.ForeignKey(Department, **DERIVED)
    period = models.ForeignKey(Period, **DERIVED)
    kpi = models.ForeignKey(Kpi, **DERIVED)
    weight = models.DecimalField(max_digits=7, decimal_places=3)
    actual = models.DecimalField(null=True, **VALUE)
    months_with_value = models.PositiveSmallIntegerField(default=0)
    target = models.DecimalField(null=True, **VALUE)
    threshold = models.DecimalField(null=True, **VALUE)
    target_max = models.DecimalField(null=True, **VALUE)
    scored = models.BooleanField(default=False)
    score = models.DecimalField(null=True, **SCORE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GREY)
    computed_at = models.DateTimeField()

    # No other index: a KPI's lines over time are read by key too (its periods listed).

    @property
    def not_scored_reason(self) -> str | None:
        """Why the line is not scored (metrics.scoring_rules.NOT_SCORED_*), None when it
        is. Reads the KPI, its indicator and the period: load them with the line."""
        if self.scored:
            return None
        reason = not_scored_reason(self.kpi, period_kind=self.period.kind, weight=self.weight)
        # Scored under the KPI's settings today: they changed after this line was computed.
        return reason or NOT_SCORED_CHANGED

    @property
    def not_scored_message(self) -> str:
        """The reason in the user's language ("weight 0, tracked only")."""
        return not_scored_message(self.not_scored_reason, self.kpi)

    class Meta:
        db_table = "reviews_scorecardline"


class Scorecard(TenantModel):
    """A department's result in a period. `score` is its own KPIs' weighted mean;
    `rolled_up_score` also weighs in its sub-departments (SPEC §4)."""

    organization = derived_organization()

    department = models.ForeignKey(Department, **DERIVED)
    period = models.ForeignKey(Period, **DERIVED)
    score = models.DecimalField(null=True, **SCORE)
    rolled_up_score = models.DecimalField(null=True, **SCORE)
    coverage = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    weight_total = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    weight_with_actual = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal(0))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GREY)
    kpi_count = models.PositiveSmallIntegerField(default=0)
    red_count = models.PositiveSmallIntegerField(default=0)
    inputs_count = models.PositiveIntegerField(
        default=0, help_text=_("Actuals the scorecard was computed from.")
    )
    inputs_latest = models.DateTimeField(
        null=True, help_text=_("When the newest of those actuals was entered.")
    )
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "reviews_scorecard"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "department", "period"], name="scorecard_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "period"])]


class OrgScorecard(TenantModel):
    """The organization in a period: management, business and company indices (SPEC §4)."""

    organization = derived_organization()
    period = models.ForeignKey(Period, **DERIVED)
    management_index = models.DecimalField(null=True, **SCORE)
    business_index = models.DecimalField(null=True, **SCORE)
    company_index = models.DecimalField(null=True, **SCORE)
    balance_gap = models.DecimalField(null=True, **SCORE)
    management_coverage = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    business_coverage = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    management_count = models.PositiveSmallIntegerField(default=0)
    business_count = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "reviews_orgscorecard"
        constraints = [
            models.UniqueConstraint(fields=["organization", "period"], name="org_scorecard_unique")
        ]


class RecalculationRun(TenantModel):
    """One run of the roll-up job for an organization: what it covered and how it ended,
    so pages can show progress and errors."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    periods_total = models.PositiveIntegerField(default=0)
    periods_done = models.PositiveIntegerField(default=0)
    lines_written = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "reviews_recalculationrun"
        ordering = ["-created_at"]


class Goal(TenantModel):
    """A company objective for a period, linked to KPIs of departments of both kinds."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    progress = models.DecimalField(null=True, **SCORE)
    computed_at = models.DateTimeField(null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "reviews_goal"
        ordering = ["-period__start", "title"]


class GoalLink(TenantModel):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="links")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.CASCADE, related_name="+")
    weight = models.DecimalField(
        _("contribution weight"),
        max_digits=7,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )

    class Meta:
        db_table = "reviews_goallink"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "goal", "kpi"], name="goal_link_unique"
            ),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="goal_weight_nonneg"),
        ]


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="ScorecardCommentEvent",
)
class ScorecardComment(TenantModel):
    """An executive's or HR's comment on a department's scorecard of a period (`kpi` None)
    or on one of its lines (issue 17 "Commentary"): shown to the department's managers on
    the scorecard and review pages and in the briefing; audited by triggers."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("comment"), max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["organization", "period", "department"])]


class ActionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("action status", "open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


# Statuses of an action still to be carried out (the others are closed: closed_at is set).
ACTION_ACTIVE = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="ActionEvent",
)
class Action(TenantModel):
    """What someone will do about a red or amber KPI line (`kpi` in `period`, of the KPI's
    `department`) or about a company goal behind plan (`goal`, in its period; `department`
    None): a title, an owner who is a member, a due date and a status (issue 19 "Action
    plans"). Written by scorecards.services.action_create/action_update only; audited by
    triggers (ActionEvent)."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="+"
    )
    kpi = models.ForeignKey(
        Kpi,
        verbose_name=_("KPI"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,  # the service requires one; a deleted account leaves the action ownerless
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_active(self) -> bool:
        return self.status in ACTION_ACTIVE

    @property
    def is_overdue(self) -> bool:
        """Still open or in progress after its due date (today in the server's zone)."""
        return self.is_active and self.due_date < timezone.localdate()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            # One subject: a KPI line (with its department) or a goal.
            models.CheckConstraint(
                condition=(
                    models.Q(kpi__isnull=False, goal__isnull=True, department__isnull=False)
                    | models.Q(kpi__isnull=True, goal__isnull=False)
                ),
                name="action_one_subject",
            ),
            # Closed exactly when done or dropped.
            models.CheckConstraint(
                condition=(
                    models.Q(status__in=["done", "dropped"], closed_at__isnull=False)
                    | models.Q(status__in=["open", "in_progress"], closed_at__isnull=True)
                ),
                name="action_closed_when_done",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_date"]),
            models.Index(fields=["organization", "period", "kpi"]),
            models.Index(fields=["organization", "owner"]),
        ]
