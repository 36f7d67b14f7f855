"""Reads of reviews and feedback, and the influence of management departments."""

from __future__ import annotations

import statistics
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Prefetch

from departments.models import DepartmentKind, DepartmentManager
from departments.permissions import (
    can_see_feedback_raters,
    managed_department_ids,
    visible_department_ids,
)
from departments.selectors import department_list
from metrics.models import Period
from metrics.scoring import feedback_satisfaction
from perfhub.tenancy import get_or_404
from scorecards.models import Scorecard, ScorecardLine
from scorecards.selectors.dashboard import index_trend

from .models import (
    Feedback,
    FeedbackCriterion,
    FeedbackDirection,
    FeedbackRating,
    Review,
    ReviewStatus,
    ReviewTransition,
)
from .services.feedback import SATISFACTION


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


def feedback_list(*, org, period_id=None, rater_ids=None, rated_ids=None, direction=None):
    """The organization's feedback (period, both departments, who rated and the ratings
    with their criteria loaded), of a period, given by some departments, received by some
    and/or of one direction: for the feedback page's grid and received feedback, and the
    API (which narrows it to the caller's departments)."""
    qs = (
        Feedback.objects.for_org(org)
        .select_related("period", "rater_department", "rated_department", "rated_by")
        .prefetch_related(
            Prefetch(
                "ratings",
                queryset=FeedbackRating.objects.for_org(org)
                .select_related("criterion")
                .order_by("criterion__position", "criterion_id"),
            )
        )
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    if rater_ids is not None:
        qs = qs.filter(rater_department_id__in=rater_ids)
    if rated_ids is not None:
        qs = qs.filter(rated_department_id__in=rated_ids)
    if direction is not None:
        qs = qs.filter(direction=direction)
    return qs


def feedback_get(*, org, pk):
    """One feedback of the organization, loaded as feedback_list loads it (404 for another
    organization's or none)."""
    return get_or_404(feedback_list(org=org), pk)


def feedback_average(feedback) -> Decimal | None:
    """A feedback's rating: the average over its criteria (ratings prefetched)."""
    ratings = [r.rating for r in feedback.ratings.all()]
    if not ratings:
        return None
    return Decimal(sum(ratings)) / Decimal(len(ratings))


# --- who rated: the anonymity rule -------------------------------------------------------


def feedback_rater_hidden(org, membership, feedback) -> bool:
    """Whether `membership` must not see who rated `feedback` (its `rated_by`): False for
    HR and admins (they always see it), and for the managers of the rating department
    (it is their own); otherwise the organization's `feedback_anonymous` (on by default).
    The one rule for pages, API, exports and threads that show a feedback's rater."""
    if can_see_feedback_raters(membership):
        return False
    if feedback.rater_department_id in managed_department_ids(membership):
        return False
    return bool(org.feedback_anonymous)


def rater_manager_counts(*, org, department_ids) -> dict[int, int]:
    """The number of managers of each of the departments (one query)."""
    rows = (
        DepartmentManager.objects.for_org(org)
        .filter(department_id__in=department_ids)
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["department_id"]: r["n"] for r in rows}


def feedback_rater_department_hidden(org, membership, feedback, manager_count: int) -> bool:
    """Whether the rating department must be left out too: only when the rater is hidden
    and the department alone names the person, having at most one manager (only a manager
    rates). A department with several managers is shown, as always."""
    return feedback_rater_hidden(org, membership, feedback) and manager_count <= 1


def feedback_rater_views(*, org, membership, feedback) -> None:
    """Set on each feedback (loaded by feedback_list) what `membership` may see of its
    rater: `shown_rated_by` (the user or None) and `shown_rater_department` (the
    department or None), by feedback_rater_hidden (one query for the managers counts)."""
    feedback = list(feedback)
    counts = rater_manager_counts(org=org, department_ids={f.rater_department_id for f in feedback})
    for f in feedback:
        hidden = feedback_rater_hidden(org, membership, f)
        f.rater_hidden = hidden
        f.shown_rated_by = None if hidden else f.rated_by
        department_hidden = hidden and counts.get(f.rater_department_id, 0) <= 1
        f.shown_rater_department = None if department_hidden else f.rater_department


def feedback_received(*, org, period, membership) -> list[dict]:
    """Per department the member may see that received feedback in the period (every
    active management department, and business departments rated on their cooperation):
    the direction, the average over raters of each feedback's average rating, the number
    of raters, the percentage it makes (metrics.scoring.feedback_satisfaction), the average
    per criterion, and each feedback with what the member may see of its rater
    (feedback_rater_views). Five queries whatever the number of rows."""
    visible = visible_department_ids(membership)
    departments = [
        d for d in department_list(org=org, active_only=True) if visible is None or d.pk in visible
    ]
    received = list(
        feedback_list(org=org, period_id=period.pk, rated_ids=[d.pk for d in departments]).order_by(
            "rater_department__code"
        )
    )
    feedback_rater_views(org=org, membership=membership, feedback=received)
    by_rated: dict[int, list] = defaultdict(list)
    for f in received:
        by_rated[f.rated_department_id].append(f)
    rows = []
    for department in departments:
        given = by_rated.get(department.pk, [])
        if department.kind != DepartmentKind.MANAGEMENT and not given:
            continue  # business departments appear once rated on their cooperation
        per_criterion: dict[int, list] = defaultdict(list)
        criteria = {}
        for f in given:
            f.average = feedback_average(f)
            for r in f.ratings.all():
                per_criterion[r.criterion_id].append(r.rating)
                criteria[r.criterion_id] = r.criterion
        averages = [f.average for f in given if f.average is not None]
        rows.append(
            {
                "department": department,
                "direction": FeedbackDirection.SUPPORT
                if department.kind == DepartmentKind.MANAGEMENT
                else FeedbackDirection.COOPERATION,
                "count": len(given),
                "average": sum(averages) / len(averages) if averages else None,
                "satisfaction": feedback_satisfaction(
                    [r.rating for r in f.ratings.all()] for f in given
                ),
                "criteria": [
                    {
                        "criterion": c,
                        "average": Decimal(sum(per_criterion[c.pk])) / len(per_criterion[c.pk]),
                        "count": len(per_criterion[c.pk]),
                    }
                    for c in sorted(criteria.values(), key=lambda c: (c.position, c.pk))
                ],
                "feedback": given,
            }
        )
    return rows


def influence_by_criterion(*, org, department, periods) -> dict:
    """The average rating per criterion a management department received on its support
    in each of the periods (monthly feedback: a quarter's is over its months), with the
    number of ratings: {"criteria": [criterion], "rows": [{"period", "values": [avg or
    None per criterion]}]}. Two queries."""
    periods = list(periods)
    if not periods:
        return {"criteria": [], "rows": []}
    span = Period.objects.for_org(org).filter(
        start__gte=min(p.start for p in periods), end__lte=max(p.end for p in periods)
    )
    ratings = list(
        FeedbackRating.objects.for_org(org)
        .filter(
            feedback__rated_department=department,
            feedback__direction=FeedbackDirection.SUPPORT,
            feedback__period__in=span,
        )
        .values_list("criterion_id", "feedback__period__start", "feedback__period__end", "rating")
        .order_by()
    )
    criteria = list(FeedbackCriterion.objects.for_org(org).order_by("position", "pk"))
    used = {r[0] for r in ratings}
    criteria = [c for c in criteria if c.pk in used or (c.is_active and c.asked_on("support"))]
    rows = []
    for period in periods:
        sums: dict[int, list[int]] = defaultdict(list)
        for criterion_id, start, end, rating in ratings:
            if period.start <= start and end <= period.end:
                sums[criterion_id].append(rating)
        rows.append(
            {
                "period": period,
                "values": [
                    Decimal(sum(sums[c.pk])) / len(sums[c.pk]) if sums[c.pk] else None
                    for c in criteria
                ],
            }
        )
    return {"criteria": criteria, "rows": rows}


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
