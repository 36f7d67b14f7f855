"""Reads of reviews and feedback, and the influence of management departments."""

from __future__ import annotations

import statistics
from collections import defaultdict

from departments.models import DepartmentKind
from departments.selectors import department_list
from perfhub.tenancy import get_or_404
from scorecards.models import Scorecard, ScorecardLine
from scorecards.selectors.dashboard import index_trend

from .models import Feedback, Review, ReviewStatus, ReviewTransition
from .services.feedback import SATISFACTION, satisfaction_value


def review_list(*, org, period_id=None, department_ids=None, status=None, step_role=None):
    """The organization's reviews (department, period, decider and current step loaded), of
    a period, some departments (the caller's visible ones), a status and/or waiting at a
    step held by `step_role` (StepRole), newest period first: for the API's list and
    lookups and the to-do lists."""
    qs = Review.objects.for_org(org).select_related(
        "department", "period", "decided_by", "current_step"
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    if status:
        qs = qs.filter(status=status)
    if step_role:
        qs = qs.filter(current_step__role=step_role).exclude(status=ReviewStatus.APPROVED)
    return qs.order_by("-period__start", "department__code", "pk")


def review_get(*, org, pk):
    """One review of the organization, loaded as review_list loads it (404 for another
    organization's or none)."""
    return get_or_404(review_list(org=org), pk)


def review_for(*, org, department, period):
    """The department's review of the period (decider loaded), or None before its manager
    writes one: for the review page."""
    return (
        Review.objects.for_org(org)
        .filter(department=department, period=period)
        .select_related("decided_by", "current_step")
        .first()
    )


def review_transitions(*, org, review):
    """Every step of the review, oldest first, with who took it: the history the review
    page lists."""
    return list(
        ReviewTransition.objects.for_org(org)
        .filter(review=review)
        .select_related("by", "from_step", "to_step")
    )


def review_overview(*, org, period, department_ids=None) -> dict:
    """Every active department with its review of the period (or none yet), and the count
    per status: what HR and executives see at a glance (two queries)."""
    departments = list(department_list(org=org, active_only=True))
    if department_ids is not None:
        departments = [d for d in departments if d.pk in department_ids]
    reviews = {r.department_id: r for r in review_list(org=org, period_id=period.pk)}
    rows = [{"department": d, "review": reviews.get(d.pk)} for d in departments]
    counts = dict.fromkeys(ReviewStatus.values, 0)
    counts["missing"] = 0
    for review in (reviews.get(d.pk) for d in departments):
        counts[review.status if review else "missing"] += 1
    return {"rows": rows, "counts": counts}


def feedback_list(*, org, period_id=None, rater_ids=None, rated_ids=None):
    """The organization's feedback (period and both departments loaded), of a period,
    given by some departments and/or received by some: for the feedback page's grid and
    received ratings, and the API (which narrows it to the caller's departments)."""
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
    """One rating of the organization, loaded as feedback_list loads it (404 for another
    organization's or none)."""
    return get_or_404(feedback_list(org=org), pk)


def feedback_received(*, org, period, department_ids=None) -> list[dict]:
    """Per management department: the average rating of the period, the number of ratings,
    the satisfaction it makes, and the comments with the rater department (never the
    person: it is not stored)."""
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
    """Pearson's r of the pairs, or None with fewer than three or a constant series."""
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
