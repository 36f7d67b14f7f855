"""The feedback page: business departments rate management departments' support, and
management departments see what they received."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.models import DepartmentKind
from departments.permissions import (
    can_write_review,
    is_member,
    visible_department_ids,
)

from .. import selectors
from ..services.feedback import (
    FeedbackRefused,
    FeedbackRow,
    feedback_period_kind,
    feedback_save_many,
)
from .reviews import pick_period


def _rating_name(rater_id, rated_id):
    return f"rating-{rater_id}-{rated_id}"


def _grids(request, period, raters, management, errors: dict[str, str]) -> list[dict]:
    """Per rater department, one row per management department: the rating and comment
    as posted, else as stored, with the row's error."""
    given = {}
    if period is not None and raters:
        given = {
            (f.rater_department_id, f.rated_department_id): f
            for f in selectors.feedback_list(
                org=request.org, period_id=period.pk, rater_ids=[d.pk for d in raters]
            )
        }
    posted = request.POST if request.method == "POST" else {}
    grids = []
    for rater in raters:
        rows = []
        for rated in management:
            existing = given.get((rater.pk, rated.pk))
            name = _rating_name(rater.pk, rated.pk)
            comment_name = f"comment-{rater.pk}-{rated.pk}"
            rows.append(
                {
                    "department": rated,
                    "key": f"{rater.pk}-{rated.pk}",
                    "name": name,
                    "comment_name": comment_name,
                    "rating": posted.get(name, existing.rating if existing else ""),
                    "comment": posted.get(comment_name, existing.comment if existing else ""),
                    "error": errors.get(f"{rater.pk}-{rated.pk}"),
                    "feedback": existing,  # its thread's link (discussions)
                }
            )
        grids.append({"rater": rater, "rows": rows})
    return grids


@org_view(is_member)
def feedback_page(request):
    """Business departments' managers rate each management department's support (1-5 and a
    comment) for a month; the ratings received are shown to the management departments'
    managers and to HR and executives, with the rater department but never the person."""
    period, periods = pick_period(request, feedback_period_kind(request.org))
    departments = list(dept_selectors.department_list(org=request.org, active_only=True))
    management = [d for d in departments if d.kind == DepartmentKind.MANAGEMENT]
    raters = [
        d
        for d in departments
        if d.kind == DepartmentKind.BUSINESS and can_write_review(request.membership, d)
    ]
    errors: dict[str, str] = {}
    if request.method == "POST" and period is not None:
        rows = [
            FeedbackRow(
                rater_department=rater,
                rated_department=rated,
                rating=request.POST.get(_rating_name(rater.pk, rated.pk), ""),
                comment=request.POST.get(f"comment-{rater.pk}-{rated.pk}", ""),
            )
            for rater in raters
            for rated in management
        ]
        try:
            feedback_save_many(org=request.org, period=period, rows=rows)
        except FeedbackRefused as refused:
            errors = refused.errors
            messages.error(request, _("Nothing was saved: correct the ratings marked below."))
        else:
            messages.success(request, _("Feedback saved."))
            return redirect(
                reverse("feedback", kwargs={"slug": request.org.slug}) + f"?period={period.pk}"
            )
    grids = _grids(request, period, raters, management, errors)
    visible = visible_department_ids(request.membership)
    received = (
        selectors.feedback_received(org=request.org, period=period, department_ids=visible)
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
        },
    )
