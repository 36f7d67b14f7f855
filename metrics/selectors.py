"""Reads of the metrics app, always scoped to one organization and loaded for their caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, QuerySet, When
from django.utils import timezone

from departments.permissions import confirmable_filter
from departments.selectors import department_list
from perfhub.tenancy import get_or_404

from . import formulas, scoring
from .messages import not_scored_message
from .models import (
    Actual,
    ActualChange,
    Aggregation,
    Indicator,
    Kpi,
    KpiPeriodTarget,
    PendingRecalculation,
    Period,
    PeriodEvent,
    PeriodKind,
    PeriodStatus,
    SignOff,
    Template,
    TemplateItem,
    Upload,
)
from .scoring_rules import not_scored_reason, rule_for


def indicator_list(*, org, active_only: bool = False) -> QuerySet[Indicator]:
    """The organization's indicators by code; only the active ones with `active_only`."""
    qs = Indicator.objects.for_org(org).order_by("code")
    return qs.filter(is_active=True) if active_only else qs


def indicator_get(*, org, pk) -> Indicator:
    """One indicator of the organization, or 404 (also for another tenant's id)."""
    return get_or_404(indicator_list(org=org), pk)


def template_list(*, org) -> QuerySet[Template]:
    """The organization's templates by code, with their items and indicators loaded."""
    items = TemplateItem.objects.for_org(org).select_related("indicator")
    return (
        Template.objects.for_org(org)
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("code")
    )


def template_get(*, org, pk) -> Template:
    """One template of the organization with its items, or 404."""
    return get_or_404(template_list(org=org), pk)


def kpi_list(*, org, department=None, department_ids=None) -> QuerySet[Kpi]:
    """KPIs with indicator and department loaded, ordered by department, weight, code.

    Narrowed to one `department` or to `department_ids` when given (None: every
    department, as `departments.permissions.visible_department_ids` returns it)."""
    qs = Kpi.objects.for_org(org).select_related("indicator", "department")
    if department is not None:
        qs = qs.filter(department=department)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return qs.order_by("department__code", "-weight", "indicator__code")


def kpi_get(*, org, pk) -> Kpi:
    """One KPI of the organization, or 404 (also for another tenant's id)."""
    return get_or_404(kpi_list(org=org), pk)


def period_list(*, org, kind: str | None = None, status: str | None = None) -> QuerySet[Period]:
    """The organization's periods, optionally of one kind and status, by start date
    (a year before its quarters and months)."""
    qs = Period.objects.for_org(org)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("start", "-end")


def period_choices(*, org, kind: str | None = None) -> QuerySet[Period]:
    """The periods a picker offers (`templates/_period_picker.html`): `period_list` with
    `has_data`, whether any value was entered for the period or a period inside it (a
    future period without data is listed only on "show all", metrics.period_menu). One
    query, as `period_list`."""
    entered = Actual.objects.for_org(org).filter(
        period__start__gte=OuterRef("start"), period__end__lte=OuterRef("end")
    )
    return period_list(org=org, kind=kind).annotate(has_data=Exists(entered))


def period_get(*, org, pk) -> Period:
    """One period of the organization, or 404 (also for another tenant's id)."""
    return get_or_404(period_list(org=org), pk)


def period_events(*, org, period) -> QuerySet[PeriodEvent]:
    """A period's history of openings, locks and reopenings, with who did it."""
    return PeriodEvent.objects.for_org(org).filter(period=period).select_related("by")


def current_period(*, org, kind: str = PeriodKind.MONTH, today: dt.date | None = None):
    """The open period of this kind to enter now: the latest open one that has started,
    else the earliest open one; None when every period is locked or none exist."""
    today = today or timezone.localdate()
    open_periods = period_list(org=org, kind=kind, status=PeriodStatus.OPEN)
    started = open_periods.filter(start__lte=today).order_by("-start").first()
    return started or open_periods.order_by("start").first()


# The defaults a page can ask `period_pick` for, tried in the order given.
PICK_WITH_DATA = "with_data"  # the latest period with computed scores (`latest_with_data`)
PICK_ENDED = "ended"  # the last that has ended, else the last that has started, else any
PICK_CURRENT = "current"  # current_period: the open one to enter now


def period_pick(
    *,
    org,
    wanted=None,
    kind: str | None = None,
    wanted_kind: str | None = None,
    defaults: tuple[str, ...] = (PICK_CURRENT,),
    latest_with_data: Callable[..., Period | None] | None = None,
    today: dt.date | None = None,
) -> Period | None:
    """The period a page shows, for every page (one place to change the defaults).

    `wanted` (an id from the query string or form; blank is "not asked") wins: another
    organization's id, an unknown one, text, or (with `wanted_kind`) a period of another
    kind is a 404. Otherwise each of `defaults` is tried in turn, for periods of `kind`
    (None: any kind; PICK_CURRENT then means the current month):

    - PICK_WITH_DATA: `latest_with_data(org=org, kind=kind)`, which the caller passes
      (scores live in scorecards, which metrics may not import);
    - PICK_ENDED: the last period that has ended, else the last that has started, else the
      latest (a year before the quarter and month starting the same day);
    - PICK_CURRENT: `current_period`.

    None when no default finds one."""
    if wanted not in (None, ""):
        return get_or_404(period_list(org=org, kind=wanted_kind), wanted)
    today = today or timezone.localdate()
    for default in defaults:
        if default == PICK_WITH_DATA:
            if latest_with_data is None:
                raise TypeError("PICK_WITH_DATA needs latest_with_data")
            found = latest_with_data(org=org, kind=kind)
        elif default == PICK_ENDED:
            found = (
                period_list(org=org, kind=kind)
                .annotate(
                    ended=Case(When(end__lt=today, then=1), default=0),
                    started=Case(When(start__lte=today, then=1), default=0),
                )
                .order_by("-ended", "-started", "-start", "-end")
                .first()
            )
        elif default == PICK_CURRENT:
            found = current_period(org=org, kind=kind or PeriodKind.MONTH, today=today)
        else:
            raise ValueError(f"unknown period default {default!r}")
        if found is not None:
            return found
    return None


def _entry_counts(org, counted: str, distinct: bool) -> dict[str, int]:
    rows = (
        Kpi.objects.for_org(org)
        .filter(is_active=True, department__is_active=True, indicator__is_computed=False)
        .exclude(indicator__aggregation=Aggregation.FORMULA)
        .values("indicator__frequency")
        .annotate(n=Count(counted, distinct=distinct))
        .order_by()
    )
    return {r["indicator__frequency"]: r["n"] for r in rows}


def entry_department_counts(*, org) -> dict[str, int]:
    """Per period kind, the number of active departments that enter an active KPI of that
    frequency (one query): what locking a period of that kind stops."""
    return _entry_counts(org, "department_id", True)


def entry_kpi_counts(*, org) -> dict[str, int]:
    """Per period kind, the number of active KPIs (of active departments) whose value
    people enter for a period of that kind (one query): the values a period expects."""
    return _entry_counts(org, "pk", False)


def previous_period(*, org, period: Period) -> Period | None:
    """The period of the same kind just before this one, or None."""
    return (
        period_list(org=org, kind=period.kind).filter(start__lt=period.start).order_by("-start")
    ).first()


def pending_period_ids(*, org) -> set[int]:
    """Ids of the organization's periods marked for recalculation."""
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", flat=True))


def pending_organization_ids(*, max_attempts: int) -> list[int]:
    """Every organization with periods marked for recalculation fewer than `max_attempts`
    times: the one cross-tenant read of the jobs, ids only. On PostgreSQL through the
    SECURITY DEFINER function of migration 0002 (the application role cannot see other
    organizations' rows itself, README "Tenancy"); SQLite has no row-level security."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM metrics_pending_organization_ids(%s) AS id ORDER BY id",
                [max_attempts],
            )
            return [row[0] for row in cursor.fetchall()]
    return sorted(
        PendingRecalculation.objects.unscoped()  # SQLite only: no row-level security there
        .filter(attempts__lt=max_attempts)
        .values_list("organization_id", flat=True)
        .distinct()
    )


def unfinished_upload_organization_ids() -> list[int]:
    """Every organization with an upload queued or running: the uploads sweeper's one
    cross-tenant read, ids only (the SECURITY DEFINER function of migration 0003; SQLite
    has no row-level security)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM metrics_unfinished_upload_organization_ids() AS id ORDER BY id"
            )
            return [row[0] for row in cursor.fetchall()]
    return sorted(
        Upload.objects.unscoped()  # SQLite only: no row-level security there
        .filter(state__in=[Upload.State.QUEUED, Upload.State.RUNNING])
        .values_list("organization_id", flat=True)
        .distinct()
    )


def upload_get(*, org, pk, by=None) -> Upload:
    """An upload of the organization (404 otherwise), its file left unread; only one the
    user `by` made when given."""
    uploads = Upload.objects.for_org(org).defer("content")
    if by is not None:
        uploads = uploads.filter(uploaded_by=by)
    return get_or_404(uploads, pk=pk)


def upload_list_unfinished(*, org) -> QuerySet[Upload]:
    """The organization's uploads queued or running, oldest first, files left unread."""
    return (
        Upload.objects.for_org(org)
        .filter(state__in=[Upload.State.QUEUED, Upload.State.RUNNING])
        .defer("content")
        .order_by("created_at")
    )


# --- the entry grid -------------------------------------------------------------------


@dataclass
class EntryRow:
    kpi: Kpi
    target: Decimal | None
    actual: Actual | None
    last_value: Decimal | None
    computed: Decimal | None = None  # formula KPIs: from the entered components
    formula_missing: list[str] = field(default_factory=list)  # names of missing components
    formula_text: str = ""  # the formula with indicator names (formulas.spelled)
    # The rule a typed value is scored by in this period (the page previews the score as
    # the manager types, in static/perfhub/entry.js), None when it is not scored, and why.
    rule: scoring.KpiRule | None = None
    not_scored: str = ""

    @property
    def rule_data(self) -> dict[str, str]:
        """The rule as the page's data attributes: plain numbers, empty when unset."""
        if self.rule is None:
            return {}
        return {
            "direction": str(self.rule.direction),
            "target": _plain(self.rule.target),
            "threshold": _plain(self.rule.threshold),
            "target-max": _plain(self.rule.target_max),
            "cap": _plain(self.rule.cap),
        }

    @property
    def typed(self) -> bool:
        return self.kpi.indicator.typed

    @property
    def version(self) -> int:
        return self.actual.version if self.actual else 0


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


@dataclass
class EntryGrid:
    department: object
    rows: list[EntryRow]


def _scoring_rule(
    kpi: Kpi, period: Period, own: scoring.PeriodTarget | None = None
) -> scoring.KpiRule | None:
    """The KPI's rule in the period (with the period's own target `own`), None when its
    settings cannot be scored."""
    rule = rule_for(kpi, period_months=scoring.months_in(period.kind), own=own)
    if rule is None:
        return None
    try:
        scoring.validate_rule(rule)
    except scoring.TargetError:
        return None
    return rule


def entry_grids(*, org, period: Period, department_ids) -> list[EntryGrid]:
    """One grid per department: every active KPI entered in this period's kind, with its
    target for the period, the current actual, last period's value and formula KPIs computed
    from the components; a period with a target of its own shows and previews it
    (docs/scoring.md, "Targets per period"). Five queries whatever the number of
    departments and KPIs."""
    kpis = list(
        kpi_list(org=org, department_ids=department_ids).filter(
            is_active=True, indicator__frequency=period.kind
        )
    )
    ids = [k.pk for k in kpis]
    actuals = {
        a.kpi_id: a
        for a in Actual.objects.for_org(org)
        .filter(period=period, kpi_id__in=ids)
        .select_related("entered_by", "reviewed_by")
    }
    previous = previous_period(org=org, period=period)
    last_values = {}
    if previous is not None:
        last_values = dict(
            Actual.objects.for_org(org)
            .filter(period=previous, kpi_id__in=ids)
            .values_list("kpi_id", "value")
        )
    own_targets = {
        t.kpi_id: scoring.PeriodTarget(t.target, t.threshold, t.target_max)
        for t in KpiPeriodTarget.objects.for_org(org).filter(period=period, kpi_id__in=ids)
    }
    grids: dict[int, EntryGrid] = {}
    values_by_department: dict[int, dict[str, Decimal | None]] = {}
    for kpi in kpis:
        rule_target = scoring.scale_target(
            kpi.target,
            kpi.indicator.aggregation,
            scoring.months_in(kpi.target_period),
            scoring.months_in(period.kind),
        )
        own = own_targets.get(kpi.pk)
        if own is not None and rule_target is not None:
            rule_target = own.target
        actual = actuals.get(kpi.pk)
        reason = not_scored_reason(kpi, period_kind=period.kind)
        row = EntryRow(
            kpi=kpi,
            target=rule_target,
            actual=actual,
            last_value=last_values.get(kpi.pk),
            rule=None if reason else _scoring_rule(kpi, period, own),
            not_scored=not_scored_message(reason, kpi),
        )
        grid = grids.setdefault(kpi.department_id, EntryGrid(department=kpi.department, rows=[]))
        grid.rows.append(row)
        # A formula counts its components' values that count (a pending one does not).
        values_by_department.setdefault(kpi.department_id, {})[kpi.indicator.code] = (
            actual.counted_value if actual else None
        )
    for grid in grids.values():
        values = values_by_department[grid.department.pk]
        names = {row.kpi.indicator.code: row.kpi.indicator.display_name for row in grid.rows}
        for row in grid.rows:
            if row.kpi.indicator.is_formula:
                try:
                    parsed = formulas.parse(row.kpi.indicator.formula)
                except formulas.FormulaError:
                    continue
                row.computed = formulas.evaluate(parsed, values)
                row.formula_text = formulas.spelled(parsed.expression, names)
                row.formula_missing = sorted(
                    names.get(c, c) for c in parsed.codes if values.get(c) is None
                )
    return sorted(grids.values(), key=lambda g: g.department.code)


def indicator_names(*, org) -> dict[str, str]:
    """Every indicator's name (in the active language) by code, to spell formulas out
    (formulas.spelled): one query."""
    return {
        i.code: i.display_name
        for i in Indicator.objects.for_org(org).only("code", "name", "name_en")
    }


def actual_history(*, org, kpi: Kpi):
    """Every recorded state of the KPI's actuals, newest first, with the previous value."""
    events = list(
        ActualChange.objects.filter(organization_id=org.pk, kpi_id=kpi.pk)
        .select_related("period", "entered_by", "reviewed_by")
        .order_by("period__start", "pgh_created_at", "pgh_id")
    )
    previous: dict[int, Decimal | None] = {}
    for event in events:
        event.old_value = previous.get(event.period_id)
        previous[event.period_id] = event.value
    return list(reversed(events))


@dataclass
class Completeness:
    department: object
    expected: list  # KPIs to enter in the period
    missing: list
    managers: list
    # The nearest department above with managers, and them: who a reminder escalates to
    # (at once when the department has no manager, after the due date otherwise).
    escalation: object = None
    escalation_managers: list = field(default_factory=list)

    @property
    def entered(self) -> int:
        return len(self.expected) - len(self.missing)

    @property
    def share(self) -> float:
        return self.entered / len(self.expected) if self.expected else 1.0


def completeness(*, org, period, today: dt.date | None = None) -> dict:
    """Which departments have entered which KPIs of the period, and who is late past its
    due date (fixed number of queries: departments with managers, KPIs, actuals)."""
    today = today or timezone.localdate()
    every = list(department_list(org=org))
    by_pk = {d.pk: d for d in every}
    departments = [d for d in every if d.is_active]
    kpis = [
        k
        for k in kpi_list(org=org).filter(
            is_active=True, indicator__frequency=period.kind, department__is_active=True
        )
        if k.indicator.typed
    ]
    have = set(Actual.objects.for_org(org).filter(period=period).values_list("kpi_id", flat=True))
    by_department: dict[int, list] = {}
    for kpi in kpis:
        by_department.setdefault(kpi.department_id, []).append(kpi)
    rows = []
    for department in departments:
        expected = by_department.get(department.pk, [])
        if not expected:
            continue
        above = by_pk.get(department.parent_id)
        seen = {department.pk}
        while above is not None and not above.managers.all() and above.pk not in seen:
            seen.add(above.pk)
            above = by_pk.get(above.parent_id)
        rows.append(
            Completeness(
                department=department,
                expected=expected,
                missing=[k for k in expected if k.pk not in have],
                managers=list(department.managers.all()),
                escalation=above,
                escalation_managers=list(above.managers.all()) if above else [],
            )
        )
    rows.sort(key=lambda r: (r.share, r.department.code))
    return {
        "rows": rows,
        "late": today > period.due_date,
        "entered": sum(r.entered for r in rows),
        "expected": sum(len(r.expected) for r in rows),
    }


def pending_actuals(*, org, membership):
    """The values awaiting confirmation that this member may confirm (the confirmers'
    queue), newest period first, then by department and indicator: one query, everything
    the queue shows joined in."""
    mine = confirmable_filter(membership)
    if mine is None:
        return Actual.objects.for_org(org).none()
    return (
        Actual.objects.for_org(org)
        .filter(status=SignOff.PENDING, kpi__in=Kpi.objects.for_org(org).filter(mine))
        .select_related("kpi__indicator", "department", "period", "entered_by")
        .order_by("-period__start", "department__code", "kpi__indicator__code")
    )


def rejected_actuals(*, org, user):
    """The values this user entered that were rejected and not changed since (their home
    page lists them with the reason): one query."""
    return (
        Actual.objects.for_org(org)
        .filter(status=SignOff.REJECTED, entered_by=user)
        .select_related("kpi__indicator", "department", "period", "reviewed_by")
        .order_by("-period__start", "department__code", "kpi__indicator__code")
    )
