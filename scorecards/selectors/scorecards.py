"""Reads of computed scorecards: pages and the API read what the jobs stored, never compute."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from metrics.models import Actual, PendingRecalculation, SignOff
from metrics.selectors import period_list
from perfhub.tenancy import get_or_404

from ..models import OrgScorecard, RecalculationRun, Scorecard, ScorecardLine, Status


def scorecard_list(*, org, period_id=None, department_ids=None) -> QuerySet[Scorecard]:
    """The organization's stored department scorecards (department and period loaded),
    of one period and/or some departments (the caller's visible ones), oldest period first
    then by department code: for the scorecard pages, the review page and the API."""
    qs = Scorecard.objects.for_org(org).select_related("department", "period")
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return qs.order_by("period__start", "-period__end", "department__code")


def attach_lines(*, org, scorecards) -> list[Scorecard]:
    """Give each scorecard its `lines` (KPI, indicator loaded) with one query in all."""
    cards = list(scorecards)
    if not cards:
        return cards
    lines = (
        ScorecardLine.objects.for_org(org)
        .filter(
            period_id__in={c.period_id for c in cards},
            department_id__in={c.department_id for c in cards},
        )
        .select_related("kpi__indicator", "period")  # period: why a line is not scored
        .order_by("-weight", "kpi__indicator__code")
    )
    grouped = defaultdict(list)
    for line in lines:
        grouped[(line.department_id, line.period_id)].append(line)
    for card in cards:
        card.lines = grouped.get((card.department_id, card.period_id), [])
    return cards


def pending_period_ids(*, org) -> set[int]:
    """Periods whose scorecards are being (or about to be) recalculated."""
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", flat=True))


def org_scorecard(*, org, period_id) -> OrgScorecard | None:
    """The organization's scorecard (company, management and business indices) of the
    period, or None before the roll-up stored one: for the dashboard and the API."""
    return OrgScorecard.objects.for_org(org).filter(period_id=period_id).first()


def latest_period_with_data(*, org, kind: str | None = None, ended_before=None):
    """The most recent period that has an organization scorecard with an index (that ended
    before the date `ended_before`, when given)."""
    qs = OrgScorecard.objects.for_org(org).exclude(company_index=None).select_related("period")
    if kind:
        qs = qs.filter(period__kind=kind)
    if ended_before is not None:
        qs = qs.filter(period__end__lt=ended_before)
    row = qs.order_by("-period__end", "period__start").first()
    return row.period if row else None


def latest_month_with_data(*, org, kind: str | None = None):
    """What a page opens on (issue 16 §2): the latest month with data, not the fiscal year
    that ends after it (a year's trend charts would show one or two dots). A month that has
    ended comes first: on 6 December the running month holds what was entered so far, and
    an executive reads November; the running month when no month that ended has data; else
    the latest period of any kind with data. With `kind`, as `latest_period_with_data`."""
    if kind:
        return latest_period_with_data(org=org, kind=kind)
    return (
        latest_period_with_data(org=org, kind="month", ended_before=timezone.localdate())
        or latest_period_with_data(org=org, kind="month")
        or latest_period_with_data(org=org)
    )


def ranking(*, org, period_id, department_ids=None, kind=None, function=None) -> list[Scorecard]:
    """Departments of the period by score, best first; departments without a score last."""
    qs = scorecard_list(org=org, period_id=period_id, department_ids=department_ids)
    if kind:
        qs = qs.filter(department__kind=kind)
    if function:
        qs = qs.filter(department__function=function)
    cards = list(qs)
    return sorted(cards, key=lambda c: (c.score is None, -(c.score or 0), c.department.code))


def recalculation_run_get(*, org, pk) -> RecalculationRun:
    """One recalculation run of the organization (404 for another's or none): for the
    run's status page and the API to follow a recalculation."""
    return get_or_404(RecalculationRun.objects.for_org(org), pk)


def last_runs(*, org, limit: int = 5) -> list[RecalculationRun]:
    """The organization's `limit` most recent recalculation runs (newest first, who asked
    loaded): for the recalculation page of those who configure."""
    return list(RecalculationRun.objects.for_org(org).select_related("requested_by")[:limit])


def kpi_trend(
    *, org, kpi, kind: str = "month", count: int = 12, until: dt.date | None = None
) -> list:
    """The KPI's stored lines over the last `count` periods of a kind, oldest first: actual,
    target and score per period (two queries, by the lines' key). With `until` (the end of
    the period the page shows), only periods that start by then: the window up to the
    chosen period, not next year's empty months."""
    periods_qs = period_list(org=org, kind=kind)
    if until is not None:
        periods_qs = periods_qs.filter(start__lte=until)
    periods = list(periods_qs.order_by("-start")[:count])[::-1]
    lines = {
        line.period_id: line
        for line in ScorecardLine.objects.for_org(org).filter(
            period_id__in=[p.pk for p in periods], department_id=kpi.department_id, kpi=kpi
        )
    }
    for period in periods:  # what not_scored_reason reads, without a query per line
        if period.pk in lines:
            lines[period.pk].kpi = kpi
            lines[period.pk].period = period
    return [(p, lines.get(p.pk)) for p in periods]


def department_trend(*, org, periods, cards) -> list[dict]:
    """Each shown department's score over the trend's periods (one query)."""
    ids = [c.department_id for c in cards]
    scores = {
        (d, p): score
        for d, p, score in Scorecard.objects.for_org(org)
        .filter(period_id__in=[p.pk for p in periods], department_id__in=ids)
        .values_list("department_id", "period_id", "score")
    }
    return [
        {
            "department": c.department,
            "scores": [scores.get((c.department_id, p.pk)) for p in periods],
        }
        for c in cards
    ]


NOTED_STATUSES = frozenset({Status.RED, Status.AMBER})


def attach_notes(*, org, pairs) -> None:
    """Give each red or amber line of `pairs` ((period, line) with the line's period, a line
    None for none) its `notes`: the notes written with the KPI's actuals in the months of
    the line's period, oldest first, as [(month label, note)]; other lines get []. One query,
    none when no line is red or amber: for the scorecard, review and KPI pages."""
    pairs = [(period, line) for period, line in pairs if line is not None]
    for _period, line in pairs:
        line.notes = []
    noted = [(p, line) for p, line in pairs if line.status in NOTED_STATUSES]
    if not noted:
        return
    actuals = (
        Actual.objects.for_org(org)
        .filter(
            kpi_id__in={line.kpi_id for _p, line in noted},
            period__start__gte=min(p.start for p, _line in noted),
            period__end__lte=max(p.end for p, _line in noted),
        )
        .exclude(note="")
        .select_related("period")
        .order_by("period__start", "-period__end")
    )
    by_kpi = defaultdict(list)
    for actual in actuals:
        by_kpi[actual.kpi_id].append(actual)
    for period, line in noted:
        line.notes = [
            (actual.period.label, actual.note)
            for actual in by_kpi[line.kpi_id]
            if actual.period.start >= period.start and actual.period.end <= period.end
        ]


def attach_sign_off(*, org, pairs) -> None:
    """Give each line of `pairs` ((period, line), a line None for none) its `waiting`: the
    values of its KPI in the months of its period that await confirmation or were rejected
    (they do not count yet, docs/scoring.md), oldest first. One query, none when no KPI of
    the lines needs confirmation: for the scorecard and KPI pages."""
    pairs = [(period, line) for period, line in pairs if line is not None]
    for _period, line in pairs:
        line.waiting = []
    asked = [(p, line) for p, line in pairs if line.kpi.needs_confirmation]
    if not asked:
        return
    actuals = (
        Actual.objects.for_org(org)
        .filter(
            kpi_id__in={line.kpi_id for _p, line in asked},
            status__in=[SignOff.PENDING, SignOff.REJECTED],
            period__start__gte=min(p.start for p, _line in asked),
            period__end__lte=max(p.end for p, _line in asked),
        )
        .select_related("period", "reviewed_by")
        .order_by("period__start", "-period__end")
    )
    by_kpi = defaultdict(list)
    for actual in actuals:
        by_kpi[actual.kpi_id].append(actual)
    for period, line in asked:
        line.waiting = [
            actual
            for actual in by_kpi[line.kpi_id]
            if actual.period.start >= period.start and actual.period.end <= period.end
        ]
