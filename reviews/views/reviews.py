"""Pages of reviews (SPEC §5 "Reviews"): the reviews of a period at a glance and a
department's review beside its scorecard."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import (
    can_view_department,
    can_write_review,
    is_member,
    visible_department_ids,
)
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors
from scorecards.selectors import comments as comment_selectors
from scorecards.selectors import scorecards as scorecard_selectors

from .. import selectors
from ..forms import DecisionForm, ReviewForm
from ..services.reviews import review_act, review_actions
from ..services.steps import review_position, review_steps


def pick_period(request, kind):
    """The period asked for (of the given kind), else the last one that has ended, else the
    current one."""
    periods = list(metric_selectors.period_choices(org=request.org, kind=kind))
    period = metric_selectors.period_pick(
        org=request.org,
        wanted=request.GET.get("period"),
        kind=kind,
        defaults=(metric_selectors.PICK_ENDED,),
    )
    return period, periods


@org_view(is_member)
def review_list(request):
    """Every department's review of the period and its status, at a glance (HR and
    executives: all departments; a manager: their own)."""
    period, periods = pick_period(request, request.org.review_frequency)
    overview = (
        selectors.review_overview(
            org=request.org,
            period=period,
            department_ids=visible_department_ids(request.membership),
        )
        if period
        else {"rows": [], "counts": {}}
    )
    steps = review_steps(org=request.org)
    for row in overview["rows"]:
        if row["review"] is not None:  # where each waits (its step row is already loaded)
            row["step"] = review_position(row["review"], steps).step
    return render(
        request,
        "reviews/review_list.html",
        {"period": period, "periods": periods, **overview},
    )


def _act(request, department, period, action, form, decision, may_write) -> str | None:
    """Take the posted action through review_act: the success message, or None with the
    errors put on the form that was posted (the decision form for approve and return)."""
    writes = action in ("save", "submit")
    if writes and not may_write:
        raise PermissionDenied
    target = decision if action in ("forward", "approve", "return") else form
    if not target.is_valid():  # an over-long comment is refused, never dropped
        return None
    comment = "" if writes else decision.cleaned_data["comment"]
    try:
        review_act(
            org=request.org,
            membership=request.membership,
            department=department,
            period=period,
            action=action,
            comment=comment,
            texts=form.cleaned_data if writes else None,
        )
    except ValidationError as exc:
        add_service_errors(target, exc)
        return None
    return {
        "save": _("Draft saved."),
        "submit": _("Review submitted: it goes to the next step."),
        "forward": _("Review passed on to the next step."),
        "approve": _("Review approved."),
        "return": _("Review returned to the previous step."),
    }.get(action, _("Done."))


def _beside(request, department, period, review) -> dict:
    """What the page shows around the forms: the review, the department's scorecard of the
    period, the actions this member may take and the steps taken so far."""
    cards = scorecard_selectors.attach_lines(
        org=request.org,
        scorecards=scorecard_selectors.scorecard_list(
            org=request.org, period_id=period.pk, department_ids=[department.pk]
        ),
    )
    scorecard_selectors.attach_notes(  # the manager's notes beside red and amber lines
        org=request.org,
        pairs=[(c.period, line) for c in cards for line in c.lines],  # type: ignore[attr-defined]
    )
    scorecard_comments = comment_selectors.attach_comments(  # executives' and HR's comments
        org=request.org, period=period, department=department, card=cards[0] if cards else None
    )
    steps = review_steps(org=request.org)
    return {
        "review": review,
        "card": cards[0] if cards else None,
        "comments": scorecard_comments,
        "position": review_position(review, steps),
        "actions": review_actions(review, request.membership, steps),
        "transitions": selectors.review_transitions(org=request.org, review=review)
        if review
        else [],
    }


@org_view(is_member)
def review_detail(request, pk):
    """A department's review of a period beside its scorecard, with the organization's
    steps as a progress line: the manager writes and submits; whoever holds a later step
    passes it on (approves at the last) or returns it a step back with a reason; every
    move is listed."""
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    period, periods = pick_period(request, request.org.review_frequency)
    if period is None:
        return redirect("review_list", slug=request.org.slug)
    review = selectors.review_for(org=request.org, department=department, period=period)
    may_write = can_write_review(request.membership, department) and (
        review is None or review.editable
    )
    initial = {name: getattr(review, name) for name in ReviewForm.base_fields} if review else {}
    form = ReviewForm(
        request.POST if may_write and request.method == "POST" else None, initial=initial
    )
    decision = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        done = _act(request, department, period, action, form, decision, may_write)
        if done:
            messages.success(request, done)
            return redirect(
                reverse("review_detail", kwargs={"slug": request.org.slug, "pk": department.pk})
                + f"?period={period.pk}"
            )
        review = selectors.review_for(org=request.org, department=department, period=period)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "department": department,
            "period": period,
            "periods": periods,
            "form": form,
            "decision": decision,
            "may_write": may_write,
            **_beside(request, department, period, review),
        },
    )
