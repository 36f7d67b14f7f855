"""Reads of computed scorecards: pages and the API read what the jobs stored, never compute."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from metrics.models import PendingRecalculation

from .models import OrgScorecard, RecalculationRun, Scorecard, ScorecardLine


def scorecard_list(*, org, period_id=None, department_ids=None) -> QuerySet[Scorecard]:
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
        .select_related("kpi__indicator")
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
    return OrgScorecard.objects.for_org(org).filter(period_id=period_id).first()


def latest_period_with_data(*, org, kind: str | None = None):
    """The most recent period that has an organization scorecard with an index."""
    qs = OrgScorecard.objects.for_org(org).exclude(company_index=None).select_related("period")
    if kind:
        qs = qs.filter(period__kind=kind)
    row = qs.order_by("-period__end", "period__start").first()
    return row.period if row else None


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
    from metrics.selectors import get_or_404

    return get_or_404(RecalculationRun.objects.for_org(org), pk)


def last_runs(*, org, limit: int = 5) -> list[RecalculationRun]:
    return list(RecalculationRun.objects.for_org(org).select_related("requested_by")[:limit])


def previous_org_scorecard(*, org, period) -> OrgScorecard | None:
    """The organization scorecard of the period of the same kind just before this one."""
    return (
        OrgScorecard.objects.for_org(org)
        .filter(period__kind=period.kind, period__start__lt=period.start)
        .order_by("-period__start")
        .first()
    )


def dashboard(*, org, period, department_ids=None, kind=None, function=None) -> dict:
    """Everything the company dashboard shows for a period, in a fixed number of queries:
    indices and their change from the previous period of the same kind, their trend, the
    department ranking (filtered) and the heatmap of departments × KPIs."""
    current = org_scorecard(org=org, period_id=period.pk)
    previous = previous_org_scorecard(org=org, period=period)

    def change(name):
        if current is None or previous is None:
            return None
        now, before = getattr(current, name), getattr(previous, name)
        return None if now is None or before is None else now - before

    return {
        "current": current,
        "previous": previous,
        "changes": {
            name: change(name)
            for name in ("company_index", "management_index", "business_index", "balance_gap")
        },
        "ranking": (
            cards := ranking(
                org=org,
                period_id=period.pk,
                department_ids=department_ids,
                kind=kind,
                function=function,
            )
        ),
        "heatmap": heatmap(org=org, period=period, cards=cards),
        "trend": (trend := index_trend(org=org, period=period)),
        "department_trend": department_trend(
            org=org, periods=[o.period for o in trend], cards=cards
        ),
        "fairness": fairness(org=org, period=period),
        "pending": period.pk in pending_period_ids(org=org),
    }


@dataclass(frozen=True)
class HeatCell:
    status: str
    score: object

    def get_status_display(self) -> str:
        from .models import Status

        return Status(self.status).label


@dataclass(frozen=True)
class HeatColumn:
    code: str
    name: str
    name_en: str

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


def heatmap(*, org, period, cards) -> dict:
    """Departments (in ranking order) × the scored KPIs they have, each cell the line's
    status and score (one query, plain values: thousands of cells)."""
    department_ids = [c.department_id for c in cards]
    rows_db = (
        ScorecardLine.objects.for_org(org)
        .filter(period_id=period.pk, department_id__in=department_ids, scored=True)
        .values_list(
            "department_id",
            "kpi__indicator__code",
            "kpi__indicator__name",
            "kpi__indicator__name_en",
            "status",
            "score",
        )
    )
    columns: dict[str, HeatColumn] = {}
    cells: dict[tuple[int, str], HeatCell] = {}
    for department_id, code, name, name_en, status, score in rows_db:
        columns.setdefault(code, HeatColumn(code, name, name_en))
        cells[(department_id, code)] = HeatCell(status, score)
    ordered = [columns[code] for code in sorted(columns)]
    rows = [
        {
            "department": card.department,
            "cells": [cells.get((card.department_id, c.code)) for c in ordered],
        }
        for card in cards
    ]
    return {"columns": ordered, "rows": rows}


def index_trend(*, org, period, count: int = 12) -> list[OrgScorecard]:
    """The organization's indices over the last `count` periods of the period's kind,
    oldest first (one query)."""
    rows = list(
        OrgScorecard.objects.for_org(org)
        .filter(period__kind=period.kind, period__start__lte=period.start)
        .select_related("period")
        .order_by("-period__start")[:count]
    )
    return rows[::-1]


def goal_list(*, org, period_id=None):
    """Goals with their links (KPI, indicator, department) loaded: two queries."""
    from django.db.models import Prefetch

    from .models import Goal, GoalLink

    links = GoalLink.objects.for_org(org).select_related("kpi__indicator", "kpi__department")
    qs = (
        Goal.objects.for_org(org)
        .select_related("period")
        .prefetch_related(Prefetch("links", queryset=links))
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    return qs.order_by("-period__start", "title")


def goal_get(*, org, pk):
    from metrics.selectors import get_or_404

    return get_or_404(goal_list(org=org), pk)


def goal_contributions(*, org, goals) -> dict:
    """For each goal, its linked KPIs' lines in the goal's period, split by side
    (management / business): {goal id: {"management": [...], "business": [...]}}. One
    query for all goals."""
    goals = list(goals)
    pairs = {(link.kpi_id, g.period_id) for g in goals for link in g.links.all()}
    lines = {}
    if pairs:
        rows = ScorecardLine.objects.for_org(org).filter(
            period_id__in={p for _k, p in pairs}, kpi_id__in={k for k, _p in pairs}
        )
        lines = {(line.kpi_id, line.period_id): line for line in rows}
    result = {}
    for goal in goals:
        sides = {"management": [], "business": []}
        for link in goal.links.all():
            line = lines.get((link.kpi_id, goal.period_id))
            sides[link.kpi.department.kind].append({"link": link, "line": line})
        result[goal.pk] = sides
    return result


def kpi_trend(*, org, kpi, kind: str = "month", count: int = 12) -> list:
    """The KPI's stored lines over the last `count` periods of a kind, oldest first: actual,
    target and score per period (two queries, by the lines' key)."""
    from metrics.selectors import period_list

    periods = list(period_list(org=org, kind=kind).order_by("-start")[:count])[::-1]
    lines = {
        line.period_id: line
        for line in ScorecardLine.objects.for_org(org).filter(
            period_id__in=[p.pk for p in periods], department_id=kpi.department_id, kpi=kpi
        )
    }
    return [(p, lines.get(p.pk)) for p in periods]


FAIRNESS_GAP = 15
FAIRNESS_RUN = 3


def _quartiles(values: list) -> dict | None:
    import statistics

    if not values:
        return None
    values = sorted(float(v) for v in values)
    if len(values) == 1:
        q1 = median = q3 = values[0]
    else:
        q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {
        "min": values[0],
        "q1": q1,
        "median": median,
        "q3": q3,
        "max": values[-1],
        "count": len(values),
    }


def fairness(*, org, period, count: int = 6) -> dict:
    """The distribution of department scores of each kind over the last `count` periods of
    the period's kind (median, quartiles), and a warning when one side's median has been
    more than 15 points above the other's for three periods in a row - the sign that one
    side's targets are easier - with the KPIs that sit at their cap most often then.
    Three queries whatever the number of departments."""
    from django.db.models import Count, F

    from metrics.selectors import period_list

    periods = list(
        period_list(org=org, kind=period.kind)
        .filter(start__lte=period.start)
        .order_by("-start")[:count]
    )[::-1]
    scores = (
        Scorecard.objects.for_org(org)
        .filter(period_id__in=[p.pk for p in periods], score__isnull=False)
        .values_list("period_id", "department__kind", "score")
    )
    by_period: dict = defaultdict(lambda: {"management": [], "business": []})
    for period_id, kind, score in scores:
        by_period[period_id][kind].append(score)
    rows = []
    for p in periods:
        m = _quartiles(by_period[p.pk]["management"])
        b = _quartiles(by_period[p.pk]["business"])
        gap = None if not (m and b) else b["median"] - m["median"]
        rows.append({"period": p, "management": m, "business": b, "gap": gap})
    recent = [r["gap"] for r in rows[-FAIRNESS_RUN:]]
    ahead = None
    if len(recent) == FAIRNESS_RUN and all(g is not None for g in recent):
        if all(g > FAIRNESS_GAP for g in recent):
            ahead = "business"
        elif all(g < -FAIRNESS_GAP for g in recent):
            ahead = "management"
    capped = []
    if ahead:
        run_ids = [r["period"].pk for r in rows[-FAIRNESS_RUN:]]
        capped = list(
            ScorecardLine.objects.for_org(org)
            .filter(period_id__in=run_ids, scored=True, score__gte=F("kpi__cap"))
            .values("kpi__indicator__code", "kpi__indicator__name", "kpi__indicator__name_en")
            .annotate(times=Count("kpi_id"))
            .order_by("-times", "kpi__indicator__code")[:5]
        )
    return {
        "rows": rows,
        "ahead": ahead,
        "capped": capped,
        "gap_limit": FAIRNESS_GAP,
        "run": FAIRNESS_RUN,
    }


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


# --- Reviews and feedback -------------------------------------------------------------------


def review_list(*, org, period_id=None, department_ids=None, status=None):
    from .models import Review

    qs = Review.objects.for_org(org).select_related("department", "period", "decided_by")
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-period__start", "department__code", "pk")


def review_get(*, org, pk):
    from metrics.selectors import get_or_404

    return get_or_404(review_list(org=org), pk)


def review_for(*, org, department, period):
    from .models import Review

    return (
        Review.objects.for_org(org)
        .filter(department=department, period=period)
        .select_related("decided_by")
        .first()
    )


def review_transitions(*, org, review):
    from .models import ReviewTransition

    return list(ReviewTransition.objects.for_org(org).filter(review=review).select_related("by"))


def review_overview(*, org, period, department_ids=None) -> dict:
    """Every active department with its review of the period (or none yet), and the count
    per status: what HR and executives see at a glance (two queries)."""
    from departments.selectors import department_list

    from .models import ReviewStatus

    departments = list(department_list(org=org, active_only=True))
    if department_ids is not None:
        departments = [d for d in departments if d.pk in department_ids]
    reviews = {r.department_id: r for r in review_list(org=org, period_id=period.pk)}
    rows = [{"department": d, "review": reviews.get(d.pk)} for d in departments]
    counts = dict.fromkeys(ReviewStatus.values, 0)
    counts["missing"] = 0
    for row in rows:
        counts[row["review"].status if row["review"] else "missing"] += 1
    return {"rows": rows, "counts": counts}


def feedback_list(*, org, period_id=None, rater_ids=None, rated_ids=None):
    from .models import Feedback

    qs = Feedback.objects.for_org(org).select_related(
        "period", "rater_department", "rated_department"
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if rater_ids is not None:
        qs = qs.filter(rater_department_id__in=rater_ids)
    if rated_ids is not None:
        qs = qs.filter(rated_department_id__in=rated_ids)
    return qs


def feedback_get(*, org, pk):
    from metrics.selectors import get_or_404

    return get_or_404(feedback_list(org=org), pk)


def feedback_received(*, org, period, department_ids=None) -> list[dict]:
    """Per management department: the average rating of the period, the number of ratings,
    the satisfaction it makes, and the comments with the rater department (never the
    person: it is not stored)."""
    from departments.models import DepartmentKind
    from departments.selectors import department_list

    from .services import satisfaction_value

    rated = [
        d
        for d in department_list(org=org, active_only=True)
        if d.kind == DepartmentKind.MANAGEMENT
        and (department_ids is None or d.pk in department_ids)
    ]
    by_rated: dict[int, list] = defaultdict(list)
    for f in feedback_list(org=org, period_id=period.pk, rated_ids=[d.pk for d in rated]).order_by(
        "rater_department__code"
    ):
        by_rated[f.rated_department_id].append(f)
    rows = []
    for department in rated:
        ratings = by_rated.get(department.pk, [])
        total = sum(f.rating for f in ratings)
        rows.append(
            {
                "department": department,
                "count": len(ratings),
                "average": (total / len(ratings)) if ratings else None,
                "satisfaction": satisfaction_value(total, len(ratings)),
                "feedback": ratings,
            }
        )
    return rows


def _pearson(xs: list, ys: list) -> float | None:
    import statistics

    if len(xs) < 3:
        return None
    try:
        return statistics.correlation([float(x) for x in xs], [float(y) for y in ys])
    except statistics.StatisticsError:  # a constant series has no correlation
        return None


def influence(*, org, department, period, count: int = 12) -> dict:
    """A management department's score and internal service satisfaction over the last
    `count` periods of the period's kind, beside the business side's index, with the
    correlation of each with that index and the number of periods it rests on (three
    queries; stored scorecards only). Coincidence, not cause: the page says so."""
    from .services import SATISFACTION

    trend = index_trend(org=org, period=period, count=count)
    periods = [o.period for o in trend]
    period_ids = [p.pk for p in periods]
    scores = dict(
        Scorecard.objects.for_org(org)
        .filter(department=department, period_id__in=period_ids)
        .values_list("period_id", "score")
    )
    satisfaction = dict(
        ScorecardLine.objects.for_org(org)
        .filter(
            department=department,
            period_id__in=period_ids,
            kpi__indicator__code=SATISFACTION,
        )
        .values_list("period_id", "actual")
    )
    rows = [
        {
            "period": o.period,
            "score": scores.get(o.period_id),
            "satisfaction": satisfaction.get(o.period_id),
            "business_index": o.business_index,
        }
        for o in trend
    ]

    def paired(key):
        pairs = [
            (r[key], r["business_index"])
            for r in rows
            if r[key] is not None and r["business_index"] is not None
        ]
        return {
            "r": _pearson([p[0] for p in pairs], [p[1] for p in pairs]),
            "n": len(pairs),
        }

    return {
        "rows": rows,
        "score_correlation": paired("score"),
        "satisfaction_correlation": paired("satisfaction"),
    }
