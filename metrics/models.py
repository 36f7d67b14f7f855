"""Indicators, templates, KPIs, periods and actuals (SPEC §2)."""

from decimal import Decimal
from typing import Any

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from departments.models import Department, DepartmentFunction, DepartmentKind, LocalizedName, Role
from perfhub.tenancy import TenantModel

from .values import value_bounds

# Values: up to 14 digits before the point and 6 after (enough for 99 trillion CNY).
VALUE: dict[str, Any] = {"max_digits": 20, "decimal_places": 6}


class Unit(models.TextChoices):
    PERCENT = "percent", _("percent")
    CURRENCY = "currency", _("currency")
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")
    COUNT = "count", _("count")
    SCORE = "score", _("score")
    RATIO = "ratio", _("ratio")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("Lower is better")
    WITHIN_RANGE = "within_range", _("Within a range")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum of the months")
    AVERAGE = "average", _("Average of the months")
    LAST = "last", _("Latest month")
    MIN = "min", _("Lowest month")
    MAX = "max", _("Highest month")
    FORMULA = "formula", _("Formula over other indicators")


class Perspective(models.TextChoices):
    FINANCIAL = "financial", _("Financial")
    CUSTOMER = "customer", _("Customer")
    PROCESS = "process", _("Internal process")
    LEARNING = "learning", _("Learning and growth")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Indicator(TenantModel, LocalizedName):
    """A measure the organization tracks; KPIs assign it to departments."""

    code = models.SlugField(_("code"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    kind = models.CharField(
        _("meant for"), max_length=20, choices=DepartmentKind.choices, blank=True
    )
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices)
    aggregation = models.CharField(
        _("aggregation over time"), max_length=20, choices=Aggregation.choices
    )
    formula = models.CharField(_("formula"), max_length=500, blank=True)
    perspective = models.CharField(
        _("perspective"), max_length=20, choices=Perspective.choices, default=Perspective.PROCESS
    )
    frequency = models.CharField(
        _("entry frequency"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    default_target = models.DecimalField(_("default target"), null=True, blank=True, **VALUE)
    default_threshold = models.DecimalField(_("default threshold"), null=True, blank=True, **VALUE)
    default_target_max = models.DecimalField(
        _("default upper target"), null=True, blank=True, **VALUE
    )
    default_target_period = models.CharField(
        _("default target period"), max_length=10, choices=PeriodKind.choices, blank=True
    )
    # The values an actual may take; empty: the unit's default (metrics.values.value_bounds).
    value_min = models.DecimalField(
        _("lowest value allowed"),
        null=True,
        blank=True,
        help_text=_("Empty: the unit's default (a percentage -1000, a count or a duration 0)."),
        **VALUE,
    )
    value_max = models.DecimalField(
        _("highest value allowed"),
        null=True,
        blank=True,
        help_text=_("Empty: the unit's default (a percentage 1000, otherwise none)."),
        **VALUE,
    )
    is_computed = models.BooleanField(
        _("computed by PerfHub"),
        default=False,
        help_text=_("Its actual comes from feedback, never typed."),
    )
    is_builtin = models.BooleanField(_("built in"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="indicator_unique_code"),
            models.CheckConstraint(
                condition=~models.Q(aggregation="formula") | ~models.Q(formula=""),
                name="indicator_formula_needs_expression",
            ),
            models.CheckConstraint(
                condition=models.Q(value_min__isnull=True)
                | models.Q(value_max__isnull=True)
                | models.Q(value_min__lte=models.F("value_max")),
                name="indicator_value_bounds_ordered",
            ),
        ]

    @property
    def display_description(self) -> str:
        if self.description_en and (get_language() or "").startswith("en"):
            return self.description_en
        return self.description

    @property
    def is_formula(self) -> bool:
        return self.aggregation == Aggregation.FORMULA

    @property
    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        """The lowest and highest value an actual may take (its own, else the unit's)."""
        return value_bounds(self.unit, value_min=self.value_min, value_max=self.value_max)

    @property
    def typed(self) -> bool:
        """Whether people enter its actual (not a formula, not computed from feedback)."""
        return not (self.is_formula or self.is_computed)


class Template(TenantModel, LocalizedName):
    """A named set of indicators with default target, threshold and weight each."""

    code = models.SlugField(_("code"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices, blank=True)
    function = models.CharField(
        _("function"), max_length=20, choices=DepartmentFunction.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    is_builtin = models.BooleanField(_("built in"), default=False)

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="template_unique_code"),
        ]


class TemplateItem(TenantModel):
    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(
        _("weight"), max_digits=7, decimal_places=3, validators=[MinValueValidator(Decimal(0))]
    )
    target = models.DecimalField(_("target"), null=True, blank=True, **VALUE)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **VALUE)
    target_max = models.DecimalField(_("upper target"), null=True, blank=True, **VALUE)

    class Meta:
        ordering = ["-weight", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template", "indicator"], name="template_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="template_weight_nonneg"
            ),
        ]


class Kpi(TenantModel):
    """An indicator assigned to one department, with its weight and target."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="kpis")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="kpis")
    weight = models.DecimalField(
        _("weight"),
        max_digits=7,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    target = models.DecimalField(_("target"), null=True, blank=True, **VALUE)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **VALUE)
    target_max = models.DecimalField(_("upper target"), null=True, blank=True, **VALUE)
    cap = models.DecimalField(_("cap"), max_digits=7, decimal_places=2, default=Decimal(120))
    target_period = models.CharField(
        _("target period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    is_active = models.BooleanField(_("active"), default=True)
    source_template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sign-off (docs/scoring.md, "Values that need confirmation"): a value entered for this
    # KPI counts only once the named role, or a manager of the named department, confirmed
    # it. At most one of the two is set; neither: values count as they are saved.
    confirm_role = models.CharField(
        _("confirmed by role"), max_length=20, choices=Role.choices, blank=True
    )
    confirm_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by the managers of"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["department_id", "-weight", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "department", "indicator"], name="kpi_unique_per_department"
            ),
            # What an actual's (organization, kpi, department) key refers to (Actual).
            models.UniqueConstraint(
                fields=["organization", "id", "department"], name="kpi_unique_id_department"
            ),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="kpi_weight_nonneg"),
            models.CheckConstraint(
                condition=models.Q(confirm_role="") | models.Q(confirm_department__isnull=True),
                name="kpi_one_confirmer",
            ),
        ]
        indexes = [models.Index(fields=["organization", "department"])]

    def __str__(self) -> str:
        return f"{self.department} · {self.indicator}"

    @property
    def needs_confirmation(self) -> bool:
        """Whether a value entered for it counts only once confirmed."""
        return bool(self.confirm_role) or self.confirm_department_id is not None

    @property
    def is_scored(self) -> bool:
        return self.is_active and self.weight > 0


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("open")
    LOCKED = "locked", _("locked")


class Period(TenantModel):
    """A month, quarter or year of a fiscal year; quarters and years contain their months."""

    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    number = models.PositiveSmallIntegerField(
        _("number in the fiscal year"), help_text=_("Month 1-12, quarter 1-4, year 1.")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    due_date = models.DateField(_("entry due"))
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        ordering = ["start", "-end"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "start"], name="period_unique_kind_start"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="period_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["organization", "kind", "start"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return _("FY%(year)s Q%(n)s") % {"year": self.fiscal_year, "n": self.number}
        return _("FY%(year)s") % {"year": self.fiscal_year}

    @property
    def is_locked(self) -> bool:
        return self.status == PeriodStatus.LOCKED

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]


class KpiPeriodTarget(TenantModel):
    """A KPI's own target (and threshold, upper end of the band) for one period: a month or
    a quarter at the KPI's entry grain or longer (docs/scoring.md, "Targets per period").
    A period's own target wins over the KPI's; a `sum` KPI's longer period without one adds
    up its entry periods' own targets when every one of them has one
    (metrics.scoring.rule_with_period_targets)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="period_targets")
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    target = models.DecimalField(_("target"), **VALUE)
    threshold = models.DecimalField(_("threshold"), null=True, blank=True, **VALUE)
    target_max = models.DecimalField(_("upper target"), null=True, blank=True, **VALUE)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("period target")
        verbose_name_plural = _("period targets")
        ordering = ["kpi_id", "period__start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period"], name="kpi_period_target_unique"
            ),
        ]


class PeriodEvent(TenantModel):
    """Who locked or reopened a period, when and why."""

    class Action(models.TextChoices):
        LOCK = "lock", _("locked")
        REOPEN = "reopen", _("reopened")

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]


class SignOff(models.TextChoices):
    """Where an actual stands in its KPI's sign-off (metrics.scoring.counted_value)."""

    NONE = "none", _("counts as entered")
    PENDING = "pending", _("awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


# The value an actual counts with (metrics.scoring.counted_value, as a column): a pending
# or rejected value counts with the last confirmed one (none yet: it does not count).
COUNTED_VALUE = Case(
    When(Q(status__in=[SignOff.PENDING, SignOff.REJECTED]), then=F("confirmed_value")),
    default=F("value"),
)


class Source(models.TextChoices):
    WEB = "web", _("web")
    IMPORT = "import", _("import")
    API = "api", _("API")
    FEEDBACK = "feedback", _("feedback")
    FEED = "feed", _("data feed")


def _history_reference(to: str, **options: Any) -> models.ForeignKey:
    """A reference of a history row (ActualChange): no key, no index."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        related_query_name="+",
        **options,
    )


@pghistory.track(
    pghistory.UpdateEvent("changed"),
    pghistory.InsertEvent("entered"),
    pghistory.DeleteEvent("removed"),
    # Recorded by the service on databases without triggers (the SQLite demo).
    pghistory.ManualEvent("recorded"),
    fields=[
        "organization",
        "kpi",
        "period",
        "value",
        "note",
        "version",
        "source",
        "entered_by",
        "entered_at",
        "status",
        "confirmed_value",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    ],
    model_name="ActualChange",
    # One index besides the key: (organization, kpi, period), which a KPI's history
    # (metrics.selectors.actual_history) and an actual's read. The history's references have
    # no key and no index of their own: an upload of 50,000 actuals writes as many history
    # rows, and each index more was a tenth of its write.
    obj_field=pghistory.ObjForeignKey(related_name="changes", db_index=False),
    context_field=pghistory.ContextForeignKey(db_index=False),
    attrs={
        "organization": _history_reference("departments.Organization", editable=False),
        "kpi": _history_reference("metrics.Kpi"),
        "period": _history_reference("metrics.Period"),
        "entered_by": _history_reference(settings.AUTH_USER_MODEL, null=True),
    },
    meta={
        "indexes": [
            models.Index(
                fields=["organization", "kpi", "period"], name="actualchange_org_kpi_period"
            )
        ]
    },
)
class Actual(TenantModel):
    """The value of one KPI in one period. Every change is kept (ActualChange, by database
    triggers, so bulk upserts are recorded too; `actuals_save` writes its own history rows
    set-based in the statements that write the actuals)."""

    # The keys the database checks, one per reference, each with the organization
    # (metrics/migrations/0006): (organization, kpi, department) -> the KPI, which says the
    # actual's department is its KPI's; (organization, period) -> the period; entered_by ->
    # the user. The organization itself is implied (the KPI has its own key to it). A 50,000-
    # row upload checks three keys per row at commit instead of five. No index of their own
    # besides the department's (the roll-up reads a department's actuals by it): the unique
    # (organization, kpi, period) and the (organization, period, department) index serve
    # every look-up by KPI, period or organization.
    organization = models.ForeignKey(
        "departments.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_constraint=False,
        db_index=False,
    )
    kpi = models.ForeignKey(
        Kpi, on_delete=models.CASCADE, related_name="actuals", db_constraint=False, db_index=False
    )
    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="actuals", db_index=False
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    value = models.DecimalField(_("value"), **VALUE)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Sign-off: `value` is what was entered last; `confirmed_value` the last value the
    # confirmer accepted; `counted_value` what scoring reads (a database-generated column,
    # so every write path, bulk SQL included, keeps it right).
    status = models.CharField(
        _("sign-off"),
        max_length=10,
        choices=SignOff.choices,
        default=SignOff.NONE,
        db_default=SignOff.NONE,
    )
    confirmed_value = models.DecimalField(_("confirmed value"), null=True, blank=True, **VALUE)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("confirmed or rejected at"), null=True, blank=True)
    review_reason = models.TextField(_("reason"), blank=True, max_length=2000, db_default="")
    counted_value = models.GeneratedField(
        expression=COUNTED_VALUE,
        output_field=models.DecimalField(null=True, **VALUE),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period"], name="actual_unique_kpi_period"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "period", "department"]),
            # The confirmers' queue: the few pending values among many.
            models.Index(
                fields=["organization", "period"],
                name="actual_pending",
                condition=Q(status="pending"),
            ),
        ]

    @property
    def is_pending(self) -> bool:
        return self.status == SignOff.PENDING

    @property
    def is_rejected(self) -> bool:
        return self.status == SignOff.REJECTED


class PendingRecalculation(TenantModel):
    """What must be recomputed, at the grain of the change (README "Recalculation"): a
    period of a department (`department` empty: every department of the organization in
    that period). Written in the same transaction as the change that requires it, so a
    recalculation is never lost even when the broker is down; the reconciliation job picks
    up whatever is still here.

    `version` grows with every new request for the same row: a run deletes the rows it
    claimed only at the version it claimed, so a request made during the run survives it."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One row per period and department, the organization-wide row included
            # (PostgreSQL 15: NULLS NOT DISTINCT; on SQLite, the demo, the marks are
            # upserted by hand, metrics.services.recalc).
            models.UniqueConstraint(
                fields=["organization", "period", "department"],
                name="pending_recalc_unique_grain",
                nulls_distinct=False,
            ),
        ]


class Upload(TenantModel):
    """A spreadsheet of actuals imported in the background (too many rows to hold a request
    for): the file itself until the job has run, then what came of it. The import is all or
    nothing (metrics.services.uploads); `state` says where it is, `problems` lists every
    refused row as {"row", "column", "message"}, `message` why the file as a whole failed."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=255)
    # The uploaded bytes (at most PERFHUB_MAX_UPLOAD_BYTES), emptied once the job has run.
    content = models.BinaryField(editable=False)
    language = models.CharField(max_length=10, default="zh-hans")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, by stage
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
