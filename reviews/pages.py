"""Pages of reviews and feedback (SPEC §5 "Reviews"): the reviews of a period at a glance,
a department's review beside its scorecard, the feedback form of business departments and
what management departments received, and the influence view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.models import DepartmentKind
from departments.permissions import (
    can_view_all,
    can_view_department,
    can_write_review,
    is_member,
)
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors

from . import selectors
from .forms import DecisionForm, ReviewForm
from .services import (
    feedback_delete,
    feedback_period_kind,
    feedback_save,
    review_actions,
    review_save,
    review_transition,
)


def _pick_period(request, kind):
    """The period asked for (of the given kind), else the last one that has ended, else the
    current one."""
    periods = list(metric_selectors.period_list(org=request.org, kind=kind))
    wanted = request.GET.get("period")
    if wanted:
        period = metric_selectors.period_get(org=request.org, pk=wanted)
        return period, periods
    today = timezone.localdate()
    ended = [p for p in periods if p.end < today]
    current = [p for p in periods if p.start <= today]
    chosen = max(ended or current or periods or [None], key=lambda p: p.start if p else 0)
    return chosen, periods


def _visible_ids(membership):
    return None if can_view_all(membership) else set(membership.managed_ids)


@org_view(is_member)
def review_list(request):
    """Every department's review of the period and its status, at a glance (HR and
    executives: all departments; a manager: their own)."""
    period, periods = _pick_period(request, request.org.review_frequency)
    overview = (
        selectors.review_overview(
            org=request.org, period=period, department_ids=_visible_ids(request.membership)
        )
        if period
        else {"rows": [], "counts": {}}
    )
    return render(
        request,
        "reviews/review_list.html",
        {"period": period, "periods": periods, **overview},
    )


@org_view(is_member)
def review_detail(request, pk):
    """A department's review of a period beside its scorecard: the manager writes and
    submits; an executive approves or returns it with a reason; every step is listed."""
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    period, periods = _pick_period(request, request.org.review_frequency)
    if period is None:
        return redirect("review_list", slug=request.org.slug)
    review = selectors.review_for(org=request.org, department=department, period=period)
    may_write = can_write_review(request.membership, department) and (
        review is None or review.editable
    )
    initial = (
        {"self_assessment": review.self_assessment, "improvement_plan": review.improvement_plan}
        if review
        else {}
    )
    form = ReviewForm(
        request.POST if may_write and request.method == "POST" else None, initial=initial
    )
    decision = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        target = decision if action in ("approve", "return") else form
        try:
            with transaction.atomic():
                if action in ("save", "submit"):
                    if not may_write:
                        raise PermissionDenied
                    if not form.is_valid():
                        raise ValidationError({})
                    review = review_save(
                        org=request.org,
                        membership=request.membership,
                        department=department,
                        period=period,
                        **form.cleaned_data,
                    )
                    if action == "submit":
                        review_transition(
                            org=request.org,
                            membership=request.membership,
                            review=review,
                            action="submit",
                        )
                elif action in ("approve", "return") and review is not None:
                    decision.is_valid()
                    review_transition(
                        org=request.org,
                        membership=request.membership,
                        review=review,
                        action=action,
                        comment=decision.cleaned_data.get("comment", ""),
                    )
                else:
                    raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            add_service_errors(target, exc)
            review = selectors.review_for(org=request.org, department=department, period=period)
        else:
            messages.success(
                request,
                {
                    "save": _("Draft saved."),
                    "submit": _("Review submitted for approval."),
                    "approve": _("Review approved."),
                    "return": _("Review returned to the manager."),
                }[action],
            )
            return redirect(
                reverse("review_detail", kwargs={"slug": request.org.slug, "pk": department.pk})
                + f"?period={period.pk}"
            )
    cards = selectors.attach_lines(
        org=request.org,
        scorecards=selectors.scorecard_list(
            org=request.org, period_id=period.pk, department_ids=[department.pk]
        ),
    )
    return render(
        request,
        "reviews/review_detail.html",
        {
            "department": department,
            "period": period,
            "periods": periods,
            "review": review,
            "card": cards[0] if cards else None,
            "form": form,
            "decision": decision,
            "may_write": may_write,
            "actions": review_actions(review, request.membership),
            "transitions": selectors.review_transitions(org=request.org, review=review)
            if review
            else [],
        },
    )


def _rating_name(rater_id, rated_id):
    return f"rating-{rater_id}-{rated_id}"


@org_view(is_member)
def feedback_page(request):
    """Business departments' managers rate each management department's support (1-5 and a
    comment) for a month; the ratings received are shown to the management departments'
    managers and to HR and executives, with the rater department but never the person."""
    period, periods = _pick_period(request, feedback_period_kind(request.org))
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
    visible = _visible_ids(request.membership)
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


@org_view(is_member)
def influence(request, pk):
    """A management department's score and internal service satisfaction beside the
    business side's index over time, with their correlation (coincidence, not cause)."""
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    kind = request.GET.get("kind") if request.GET.get("kind") in ("month", "quarter") else "month"
    period = selectors.latest_period_with_data(org=request.org, kind=kind)
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
    return render(
        request,
        "reviews/influence.html",
        {
            "department": department,
            "kind": kind,
            "chart": chart,
            "managements": managements,
            "correlations": correlations,
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


urlpatterns = [
    path("reviews/", review_list, name="review_list"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("feedback/", feedback_page, name="feedback"),
    path("influence/<int:pk>/", influence, name="influence"),
]
