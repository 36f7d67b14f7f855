"""The feedback page: business departments rate management departments' support and
management departments rate business departments' cooperation, on the organization's
criteria; every department sees what it received (its raters anonymous by default)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.models import DepartmentKind
from departments.permissions import can_see_feedback_raters, can_write_review, is_member

from .. import selectors
from ..models import FeedbackDirection
from ..services.criteria import criteria_asked, feedback_criteria
from ..services.feedback import (
    FeedbackRefused,
    FeedbackRow,
    feedback_period_kind,
    feedback_save_many,
)
from .reviews import pick_period


def _names(rater, rated, criteria) -> dict:
    base = f"{rater.pk}-{rated.pk}"
    return {
        "rating": {c.pk: f"rating-{base}-{c.pk}" for c in criteria},
        "comment": {c.pk: f"comment-{base}-{c.pk}" for c in criteria},
        "overall": f"comment-{base}",
    }


def _rater_grids(request, period, criteria) -> list[dict]:
    """Per department the member rates for: the departments it rates (the other kind), the
    criteria asked in that direction, and one row per rated department."""
    departments = list(dept_selectors.department_list(org=request.org, active_only=True))
    grids = []
    for rater in departments:
        if not can_write_review(request.membership, rater):
            continue
        if rater.kind == DepartmentKind.BUSINESS:
            direction, kind = FeedbackDirection.SUPPORT, DepartmentKind.MANAGEMENT
        else:
            direction, kind = FeedbackDirection.COOPERATION, DepartmentKind.BUSINESS
        asked = criteria_asked(criteria, direction)
        rated = [d for d in departments if d.kind == kind]
        if asked and rated:
            grids.append(
                {"rater": rater, "direction": direction, "criteria": asked, "rated": rated}
            )
    return grids


def _fill(request, period, grids, errors: dict[str, str]) -> None:
    """Each grid's rows: the ratings and comments as posted, else as stored, and the
    row's error."""
    given = {}
    if grids:
        given = {
            (f.rater_department_id, f.rated_department_id): f
            for f in selectors.feedback_list(
                org=request.org, period_id=period.pk, rater_ids=[g["rater"].pk for g in grids]
            )
        }
    posted = request.POST if request.method == "POST" else None
    for grid in grids:
        rows = []
        for rated in grid["rated"]:
            names = _names(grid["rater"], rated, grid["criteria"])
            stored = given.get((grid["rater"].pk, rated.pk))
            ratings = {r.criterion_id: r for r in stored.ratings.all()} if stored else {}
            cells = []
            for c in grid["criteria"]:
                r = ratings.get(c.pk)
                cells.append(
                    {
                        "criterion": c,
                        "name": names["rating"][c.pk],
                        "comment_name": names["comment"][c.pk],
                        "rating": posted.get(names["rating"][c.pk], "")
                        if posted is not None
                        else (str(r.rating) if r else ""),
                        "comment": posted.get(names["comment"][c.pk], "")
                        if posted is not None
                        else (r.comment if r else ""),
                    }
                )
            key = f"{grid['rater'].pk}-{rated.pk}"
            rows.append(
                {
                    "department": rated,
                    "key": key,
                    "cells": cells,
                    "overall_name": names["overall"],
                    "comment": posted.get(names["overall"], "")
                    if posted is not None
                    else (stored.comment if stored else ""),
                    "has_comments": any(c["comment"] for c in cells),
                    "error": errors.get(key),
                    "feedback": stored,  # its thread's link (discussions)
                }
            )
        grid["rows"] = rows


def _posted_rows(request, grids) -> list[FeedbackRow]:
    rows = []
    for grid in grids:
        for rated in grid["rated"]:
            names = _names(grid["rater"], rated, grid["criteria"])
            rows.append(
                FeedbackRow(
                    rater_department=grid["rater"],
                    rated_department=rated,
                    ratings={c: request.POST.get(n, "") for c, n in names["rating"].items()},
                    comments={c: request.POST.get(n, "") for c, n in names["comment"].items()},
                    comment=request.POST.get(names["overall"], ""),
                )
            )
    return rows


@org_view(is_member)
def feedback_page(request):
    """A department's managers rate the departments of the other kind on each criterion
    (1-5, optional comments) for a month; every department's feedback received is shown
    to its managers (raters anonymous unless the organization says otherwise) and to HR,
    admins and executives (HR and admins always see who rated)."""
    period, periods = pick_period(request, feedback_period_kind(request.org))
    criteria = feedback_criteria(org=request.org)
    grids = _rater_grids(request, period, criteria) if period is not None else []
    errors: dict[str, str] = {}
    if request.method == "POST" and period is not None:
        try:
            feedback_save_many(
                org=request.org,
                period=period,
                rows=_posted_rows(request, grids),
                by=request.user,
            )
        except FeedbackRefused as refused:
            errors = refused.errors
            messages.error(request, _("Nothing was saved: correct the ratings marked below."))
        else:
            messages.success(request, _("Feedback saved."))
            return redirect(
                reverse("feedback", kwargs={"slug": request.org.slug}) + f"?period={period.pk}"
            )
    if period is not None:
        _fill(request, period, grids, errors)
    received = (
        selectors.feedback_received(org=request.org, period=period, membership=request.membership)
        if period
        else []
    )
    return render(
        request,
        "reviews/feedback.html",
        {
            "period": period,
            "periods": periods,
            "grids": grids,
            "received": received,
            "ratings": [str(n) for n in range(1, 6)],
            "sees_raters": can_see_feedback_raters(request.membership),
            "anonymous": request.org.feedback_anonymous,
        },
        status=200,
    )
