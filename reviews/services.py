"""Writes of the reviews app: department reviews with their transitions, and
cross-department feedback (which computes `internal_service_satisfaction`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department, DepartmentKind
from departments.permissions import can_decide_reviews, can_write_review
from metrics.models import Indicator, Kpi, PeriodKind, Source
from metrics.services.actuals import computed_actual_set
from metrics.services.actuals_check import CONTROL_CHARACTERS

from .models import Feedback, Review, ReviewStatus, ReviewTransition

SATISFACTION = "internal_service_satisfaction"


def _refuse_control_characters(**texts) -> None:
    """Refuse, per field named, a text containing control characters (NUL, ...)."""
    bad = {
        name: [_("This text contains invisible control characters (such as NUL): remove them.")]
        for name, text in texts.items()
        if text and CONTROL_CHARACTERS.search(text)
    }
    if bad:
        raise ValidationError(bad)


# --- Reviews -------------------------------------------------------------------------------

S = ReviewStatus
# action: (statuses it starts from, status it leads to, who may take it)
TRANSITIONS = {
    "submit": ((S.DRAFT, S.RETURNED), S.SUBMITTED, "manager"),
    "approve": ((S.SUBMITTED,), S.APPROVED, "executive"),
    "return": ((S.SUBMITTED,), S.RETURNED, "executive"),
}


def review_actions(review: Review | None, membership) -> list[str]:
    """The transitions this member may take on the review now (what the page offers)."""
    if review is None:
        return []
    return [
        action
        for action, (sources, _target, who) in TRANSITIONS.items()
        if review.status in sources and _may(who, membership, review.department)
    ]


def _may(who: str, membership, department) -> bool:
    """Whether the member is who the transition needs: a manager of the department, or
    one who decides reviews (executive, admin)."""
    if who == "manager":
        return can_write_review(membership, department)
    return bool(can_decide_reviews(membership))


def _check_review_period(org, period) -> None:
    """Refuse a period of another organization or not of its review frequency."""
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    if period.kind != org.review_frequency:
        raise ValidationError(
            {
                "period": [
                    _("Reviews of this organization are %(frequency)s: choose such a period.")
                    % {"frequency": org.get_review_frequency_display().lower()}
                ]
            }
        )


@transaction.atomic
def review_save(
    *, org, membership, department, period, self_assessment: str, improvement_plan: str
) -> Review:
    """Create or edit the manager's part of a department's review for a period. Only a
    manager of the department writes it, and only while it is a draft or returned."""
    if department.organization_id != org.pk:
        raise ValidationError({"department": [_("Unknown department.")]})
    if not can_write_review(membership, department):
        raise PermissionDenied(_("Only a manager of %s writes its review.") % department)
    _check_review_period(org, period)
    _refuse_control_characters(self_assessment=self_assessment, improvement_plan=improvement_plan)
    review = (
        Review.objects.for_org(org)
        .select_for_update()
        .filter(department=department, period=period)
        .first()
    )
    if review is None:
        review = Review(organization=org, department=department, period=period)
    elif not review.editable:
        raise ValidationError(
            {
                "status": [
                    _("This review is %(status)s: it can no longer be changed.")
                    % {"status": review.get_status_display()}
                ]
            }
        )
    review.self_assessment = (self_assessment or "").strip()
    review.improvement_plan = (improvement_plan or "").strip()
    review.full_clean(exclude=["organization", "department", "period", "decided_by"])
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:  # created by someone else at the same moment: edit theirs
        return review_save(
            org=org,
            membership=membership,
            department=department,
            period=period,
            self_assessment=self_assessment,
            improvement_plan=improvement_plan,
        )
    return review


@transaction.atomic
def review_transition(*, org, membership, review: Review, action: str, comment: str = "") -> Review:
    """Move a review along its allowed path (submit, approve, return) and record the step.
    Returning needs a reason; submitting needs a self-assessment and a plan."""
    if review.organization_id != org.pk:
        raise ValidationError({"review": [_("Unknown review.")]})
    if action not in TRANSITIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    review = Review.objects.for_org(org).select_for_update().get(pk=review.pk)
    sources, target, who = TRANSITIONS[action]
    if not _may(who, membership, review.department):
        raise PermissionDenied(_("You may not do this with this review."))
    if review.status not in sources:
        raise ValidationError(
            {
                "status": [
                    _("A review that is %(status)s cannot be %(action)s.")
                    % {"status": review.get_status_display(), "action": _action_label(action)}
                ]
            }
        )
    comment = (comment or "").strip()
    _refuse_control_characters(comment=comment)
    if len(comment) > 5000:
        raise ValidationError({"comment": [_("At most 5000 characters.")]})
    if action == "submit":
        missing = {}
        if not review.self_assessment:
            missing["self_assessment"] = [_("Write the self-assessment before submitting.")]
        if not review.improvement_plan:
            missing["improvement_plan"] = [_("Write the improvement plan before submitting.")]
        if missing:
            raise ValidationError(missing)
    if action == "return" and not comment:
        raise ValidationError({"comment": [_("Say why the review goes back to the manager.")]})
    now = timezone.now()
    previous = review.status
    review.status = target
    if action == "submit":
        review.submitted_at = now
    else:
        review.decided_at, review.decided_by = now, membership.user
        review.executive_comment = comment
        review.return_reason = comment if action == "return" else ""
    review.save()
    ReviewTransition.objects.create(
        organization=org,
        review=review,
        from_status=previous,
        to_status=target,
        by=membership.user,
        at=now,
        comment=comment,
    )
    return review


@transaction.atomic
def review_act(
    *,
    org,
    membership,
    department,
    period,
    action: str,
    comment: str = "",
    texts: dict[str, str] | None = None,
) -> Review:
    """One step on a department's review of a period, all or nothing, for the review page
    and the API: "save" writes the manager's `texts` (self_assessment, improvement_plan);
    "submit" writes them first when given, then submits; "approve" and "return" decide the
    review (a reason with `comment`). Returns the review as it now is; raises
    ValidationError ("Unknown action." when there is no such action or no review to
    decide) or PermissionDenied from review_save / review_transition."""
    review = None
    if action in ("save", "submit") and texts is not None:
        review = review_save(
            org=org, membership=membership, department=department, period=period, **texts
        )
        if action == "save":
            return review
    elif action in TRANSITIONS:
        review = Review.objects.for_org(org).filter(department=department, period=period).first()
    if review is None or action not in TRANSITIONS:
        raise ValidationError(_("Unknown action."))
    return review_transition(
        org=org, membership=membership, review=review, action=action, comment=comment
    )


def _action_label(action: str) -> str:
    """The action as a past participle, for the refusal message."""
    return {"submit": _("submitted"), "approve": _("approved"), "return": _("returned")}[action]


# --- Feedback ------------------------------------------------------------------------------


def feedback_period_kind(org) -> str:
    """Feedback is given at the entry frequency of the satisfaction indicator (monthly)."""
    indicator = Indicator.objects.for_org(org).filter(code=SATISFACTION).first()
    return indicator.frequency if indicator is not None else PeriodKind.MONTH


@transaction.atomic
def feedback_save(
    *, org, period, rater_department, rated_department, rating, comment: str = ""
) -> Feedback:
    """One business department's rating (1-5) of one management department's support in a
    period: created, or changed while the period is open. Recomputes the rated
    department's internal service satisfaction in the same transaction. Who may rate for
    the rater department is the caller's check (its managers)."""
    errors: dict[str, list[str]] = {}
    if period.organization_id != org.pk:
        errors["period"] = [_("Unknown period.")]
    elif period.is_locked:
        errors["period"] = [
            _("%(period)s is locked: its feedback cannot change.") % {"period": period.label}
        ]
    elif period.kind != feedback_period_kind(org):
        errors["period"] = [_("Feedback is given per month: choose a month.")]
    if rater_department.organization_id != org.pk:
        errors["rater_department"] = [_("Unknown department.")]
    elif rater_department.kind != DepartmentKind.BUSINESS:
        errors["rater_department"] = [_("Only business departments rate support.")]
    if rated_department.organization_id != org.pk:
        errors["rated_department"] = [_("Unknown department.")]
    elif rated_department.kind != DepartmentKind.MANAGEMENT:
        errors["rated_department"] = [_("Only management departments are rated.")]
    elif not rated_department.is_active:
        errors["rated_department"] = [_("This department is inactive.")]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = [_("At most 2000 characters.")]
    elif CONTROL_CHARACTERS.search(comment):
        errors["comment"] = [
            _("This text contains invisible control characters (such as NUL): remove them.")
        ]
    if errors:
        raise ValidationError(errors)
    feedback, _created = Feedback.objects.for_org(org).update_or_create(
        organization=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        defaults={"rating": rating, "comment": comment},
    )
    satisfaction_update(org=org, period=period, department=rated_department)
    return feedback


@dataclass(frozen=True)
class FeedbackRow:
    """One cell of the feedback page's grid as typed: `rating` is the raw text ("" clears
    the rating), `key` names the row in FeedbackRefused.errors."""

    rater_department: Department
    rated_department: Department
    rating: str
    comment: str = ""

    @property
    def key(self) -> str:
        return f"{self.rater_department.pk}-{self.rated_department.pk}"


class FeedbackRefused(Exception):
    """Nothing was saved. `errors` maps a FeedbackRow.key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("feedback refused")
        self.errors = errors


@transaction.atomic
def feedback_save_many(*, org, period, rows: Sequence[FeedbackRow]) -> list[Feedback]:
    """Save a rater's grid of ratings for a period, all or nothing: a row with a rating is
    saved (feedback_save), a row cleared of an existing rating deletes it, a comment without
    a rating is refused. Returns the feedback saved; raises FeedbackRefused with every
    row's problem and writes nothing then. Who may rate for each rater department is the
    caller's check (its managers)."""
    given = {
        (f.rater_department_id, f.rated_department_id): f
        for f in Feedback.objects.for_org(org)
        .filter(period=period, rater_department__in={r.rater_department.pk for r in rows})
        .select_related("period", "rated_department")
    }
    errors: dict[str, str] = {}
    saved: list[Feedback] = []
    for row in rows:
        raw = row.rating.strip()
        existing = given.get((row.rater_department.pk, row.rated_department.pk))
        if raw == "":
            if existing is not None:
                try:
                    feedback_delete(org=org, feedback=existing)
                except ValidationError as exc:  # a locked period: said beside the row
                    errors[row.key] = " ".join(exc.messages)
            elif row.comment.strip():
                errors[row.key] = _("Choose a rating to go with the comment.")
            continue
        try:
            rating = int(raw)
        except ValueError:
            rating = None
        try:
            saved.append(
                feedback_save(
                    org=org,
                    period=period,
                    rater_department=row.rater_department,
                    rated_department=row.rated_department,
                    rating=rating,
                    comment=row.comment,
                )
            )
        except ValidationError as exc:
            errors[row.key] = " ".join(m for ms in exc.message_dict.values() for m in ms)
    if errors:
        raise FeedbackRefused(errors)  # leaving the atomic block undoes the rows saved
    return saved


@transaction.atomic
def feedback_delete(*, org, feedback: Feedback) -> None:
    """Remove one rating while its period is open and recompute the rated department's
    internal service satisfaction."""
    if feedback.period.is_locked:
        raise ValidationError(
            {
                "period": [
                    _("%(period)s is locked: its feedback cannot change.")
                    % {"period": feedback.period.label}
                ]
            }
        )
    period, department = feedback.period, feedback.rated_department
    feedback.delete()
    satisfaction_update(org=org, period=period, department=department)


def satisfaction_value(total: int | None, count: int) -> Decimal | None:
    """SPEC: the actual is average rating / 5 x 100 (kept to 4 decimals)."""
    if not count or total is None:
        return None
    return (Decimal(total) / Decimal(count) / Decimal(5) * Decimal(100)).quantize(Decimal("0.0001"))


def satisfaction_update(*, org, period, department) -> None:
    """Set the management department's internal service satisfaction for the period from
    the ratings it received; no rating, no actual. Without that KPI nothing is written."""
    kpi = (
        Kpi.objects.for_org(org)
        .filter(department=department, indicator__code=SATISFACTION)
        .select_related("indicator")
        .first()
    )
    if kpi is None:
        return
    ratings = (
        Feedback.objects.for_org(org)
        .filter(period=period, rated_department=department)
        .aggregate(total=Sum("rating"), count=Count("pk"))
    )
    computed_actual_set(
        org=org,
        kpi=kpi,
        period=period,
        value=satisfaction_value(ratings["total"], ratings["count"]),
        source=Source.FEEDBACK,
    )
