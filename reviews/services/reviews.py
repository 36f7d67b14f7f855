"""Writes of department reviews: saving the manager's texts and the workflow steps
(submit, approve, return) with their transitions; `review_act` is what pages and the API
call."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.permissions import can_decide_reviews, can_write_review
from metrics.services.actuals_check import CONTROL_CHARACTERS

from ..models import Review, ReviewStatus, ReviewTransition


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
