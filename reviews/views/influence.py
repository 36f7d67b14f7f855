"""The influence view: a management department's score and service satisfaction beside
the business side's index over time."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.models import DepartmentKind
from departments.permissions import (
    can_view_department,
    is_member,
)
from metrics import selectors as metric_selectors
from scorecards.selectors import scorecards as scorecard_selectors

from .. import selectors
from ..services.feedback import feedback_period_kind


@org_view(is_member)
def influence(request, pk):
    """A management department's score and internal service satisfaction beside the
    business side's index over time, with their correlation (coincidence, not cause), and
    the average rating it received on each feedback criterion over the same periods."""
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    kind = request.GET.get("kind") if request.GET.get("kind") in ("month", "quarter") else "month"
    period = metric_selectors.period_pick(
        org=request.org,
        kind=kind,
        defaults=(metric_selectors.PICK_WITH_DATA,),
        latest_with_data=scorecard_selectors.latest_period_with_data,
    )
    data = (
        selectors.influence(org=request.org, department=department, period=period)
        if period
        else {"rows": []}
    )

    def num(v):
        return None if v is None else float(v)

    chart = {
        "periods": [r["period"].label for r in data["rows"]],
        "score": [num(r["score"]) for r in data["rows"]],
        "satisfaction": [num(r["satisfaction"]) for r in data["rows"]],
        "business": [num(r["business_index"]) for r in data["rows"]],
    }
    by_criterion = (
        selectors.influence_by_criterion(
            org=request.org, department=department, periods=[r["period"] for r in data["rows"]]
        )
        if data["rows"]
        else {"criteria": [], "rows": []}
    )
    criteria_chart = {
        "periods": [r["period"].label for r in by_criterion["rows"]],
        "series": [
            {
                "name": c.display_name,
                "data": [num(r["values"][i]) for r in by_criterion["rows"]],
            }
            for i, c in enumerate(by_criterion["criteria"])
        ],
    }
    managements = [
        d
        for d in dept_selectors.department_list(org=request.org, active_only=True)
        if d.kind == DepartmentKind.MANAGEMENT and can_view_department(request.membership, d)
    ]
    correlations = []
    if data["rows"]:
        for label, c in (
            (_("Its score and the business index"), data["score_correlation"]),
            (
                _("Its internal service satisfaction and the business index"),
                data["satisfaction_correlation"],
            ),
        ):
            correlations.append((label, {**c, "strength": _strength(c["r"])}))
    # The ratings of a feedback period (?period=, else the last this department was rated
    # in), each with its thread (the discussions template tags).
    received = selectors.feedback_list(org=request.org, rated_ids=[department.pk])
    feedback_period = None
    if request.GET.get("period"):
        feedback_period = metric_selectors.period_pick(
            org=request.org,
            wanted=request.GET.get("period"),
            kind=feedback_period_kind(request.org),
        )
    else:
        latest = received.order_by("-period__start").first()
        feedback_period = latest.period if latest else None
    feedback = (
        list(received.filter(period=feedback_period).order_by("rater_department__code"))
        if feedback_period
        else []
    )
    return render(
        request,
        "reviews/influence.html",
        {
            "department": department,
            "feedback_period": feedback_period,
            "feedback": feedback,
            "kind": kind,
            "chart": chart,
            "managements": managements,
            "correlations": correlations,
            "by_criterion": by_criterion,
            "criteria_chart": criteria_chart,
            **data,
        },
    )


def _strength(r) -> str:
    """Words for a correlation coefficient (the usual rule-of-thumb bands)."""
    if r is None:
        return ""
    size = abs(r)
    if size < 0.3:
        return _("hardly related")
    word = _("moved together") if r > 0 else _("moved in opposite directions")
    if size < 0.7:
        return _("somewhat: %(word)s") % {"word": word}
    return _("strongly: %(word)s") % {"word": word}
