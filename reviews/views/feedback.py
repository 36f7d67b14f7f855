"""The feedback page: business departments rate management departments' support, and
management departments see what they received."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
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
from ..services import (
    feedback_delete,
    feedback_period_kind,
    feedback_save,
)
from .reviews import pick_period


def _rating_name(rater_id, rated_id):
    return f"rating-{rater_id}-{rated_id}"


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
    given = {}
    if period is not None and raters:
        given = {
            (f.rater_department_id, f.rated_department_id): f
            for f in selectors.feedback_list(
                org=request.org, period_id=period.pk, rater_ids=[d.pk for d in raters]
            )
        }
    errors: dict[str, str] = {}
    if request.method == "POST" and period is not None:
        try:
            with transaction.atomic():
                for rater in raters:
                    for rated in management:
                        raw = request.POST.get(_rating_name(rater.pk, rated.pk), "").strip()
                        comment = request.POST.get(f"comment-{rater.pk}-{rated.pk}", "")
                        existing = given.get((rater.pk, rated.pk))
                        if raw == "":
                            if existing is not None:
                                feedback_delete(org=request.org, feedback=existing)
                            elif comment.strip():
                                errors[_rating_name(rater.pk, rated.pk)] = _(
                                    "Choose a rating to go with the comment."
                                )
                            continue
                        try:
                            rating = int(raw)
                        except ValueError:
                            rating = None
                        try:
                            feedback_save(
                                org=request.org,
                                period=period,
                                rater_department=rater,
                                rated_department=rated,
                                rating=rating,
                                comment=comment,
                            )
                        except ValidationError as exc:
                            errors[_rating_name(rater.pk, rated.pk)] = " ".join(
                                m for ms in exc.message_dict.values() for m in ms
                            )
                if errors:
                    raise ValidationError("refused")
        except ValidationError:
            if not errors:
                raise
            messages.error(request, _("Nothing was saved: correct the ratings marked below."))
        else:
            messages.success(request, _("Feedback saved."))
            return redirect(
                reverse("feedback", kwargs={"slug": request.org.slug}) + f"?period={period.pk}"
            )
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
                    "error": errors.get(name),
                }
            )
        grids.append({"rater": rater, "rows": rows})
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
