"""Writes of department reviews: saving the manager's texts and the moves along the
organization's steps (submit, forward, approve, return) with their transitions;
`review_act` is what pages and the API call."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.permissions import can_check_reviews, can_decide_reviews, can_write_review
from metrics.services.actuals_check import CONTROL_CHARACTERS

from .. import notifications
from ..models import Review, ReviewStatus, ReviewStep, ReviewTransition, StepRole
from .steps import Position, review_position, review_steps


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

# The moves along the organization's steps (reviews.services.steps): the department's
# manager submits from the first step; whoever holds a later step passes it on ("forward"),
# approves at the last one, or returns it one step back with a reason.
ACTIONS = ("submit", "forward", "approve", "return")
# Kept for callers that listed the actions by this name.
TRANSITIONS = ACTIONS


def holds(step: ReviewStep | None, membership, department) -> bool:
    """Whether the member holds the step for this department's review: a manager of the
    department for the manager's step, HR (or an admin) for an HR step, an executive (or
    an admin) for an executive's step."""
    if step is None:
        return False
    if step.role == StepRole.MANAGER:
        return bool(can_write_review(membership, department))
    if step.role == StepRole.HR:
        return bool(can_check_reviews(membership))
    return bool(can_decide_reviews(membership))


def _fits(action: str, position: Position) -> bool:
    """Whether the action exists where the review stands."""
    if position.index is None:
        return False
    if action == "submit":
        return position.index == 0
    if position.index == 0:
        return False
    if action == "forward":
        return not position.is_last
    if action == "approve":
        return position.is_last
    return True  # return: from any step after the manager's


def review_actions(review: Review | None, membership, steps: list | None = None) -> list[str]:
    """The moves this member may make on the review now (what the page and the API offer).
    `steps`: the organization's, when the caller has them already."""
    if review is None:
        return []
    position = review_position(review, steps or review_steps(org=review.organization))
    if not holds(position.step, membership, review.department):
        return []
    return [action for action in ACTIONS if _fits(action, position)]


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
        review = Review(
            organization=org,
            department=department,
            period=period,
            current_step=review_steps(org=org)[0],  # the manager's self-assessment
        )
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
    review.full_clean(
        exclude=["organization", "department", "period", "decided_by", "current_step"]
    )
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
    """Move a review one step along the organization's workflow and record the move
    (ReviewTransition), then tell the holders of the step it reaches (once). `submit`
    (the manager, from the first step; needs both texts), `forward` (the holder of a step
    that is not the last), `approve` (the holder of the last step), `return` (the holder
    of a later step, one step back; needs a reason)."""
    if review.organization_id != org.pk:
        raise ValidationError({"review": [_("Unknown review.")]})
    if action not in ACTIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    review = (
        Review.objects.for_org(org)
        .select_for_update()
        .select_related("department")
        .get(pk=review.pk)
    )
    steps = review_steps(org=org)
    position = review_position(review, steps)
    if not _fits(action, position):
        raise ValidationError({"status": [_refusal(review, position, action)]})
    if not holds(position.step, membership, review.department):
        raise PermissionDenied(_("You may not do this with this review at this step."))
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
        raise ValidationError(
            {
                "comment": [
                    _("Say why the review goes back to “%(step)s”.")
                    % {"step": position.previous.label if position.previous else ""}
                ]
            }
        )
    now = timezone.now()
    previous_status, from_step = review.status, position.step
    to_step = position.previous if action == "return" else position.next
    if to_step is None:
        review.status = ReviewStatus.APPROVED
    elif to_step.role == StepRole.MANAGER:
        review.status = ReviewStatus.RETURNED
    else:
        review.status = ReviewStatus.SUBMITTED
    review.current_step = to_step
    if action == "submit":
        review.submitted_at = now
    elif action in ("approve", "return"):
        review.decided_at, review.decided_by = now, membership.user
        review.executive_comment = comment
        review.return_reason = comment if action == "return" else ""
    review.save()
    move = ReviewTransition.objects.create(
        organization=org,
        review=review,
        from_status=previous_status,
        to_status=review.status,
        from_step=from_step,
        to_step=to_step,
        by=membership.user,
        at=now,
        comment=comment,
    )
    notifications.review_step_notify(org=org, transition=move)
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
    "submit" writes them first when given, then submits; "forward", "approve" and "return"
    move it on from a later step (a reason with `comment`). Returns the review as it now is; raises
    ValidationError ("Unknown action." when there is no such action or no review to
    decide) or PermissionDenied from review_save / review_transition."""
    review = None
    if action in ("save", "submit") and texts is not None:
        review = review_save(
            org=org, membership=membership, department=department, period=period, **texts
        )
        if action == "save":
            return review
    elif action in ACTIONS:
        review = Review.objects.for_org(org).filter(department=department, period=period).first()
    if review is None or action not in ACTIONS:
        raise ValidationError(_("Unknown action."))
    return review_transition(
        org=org, membership=membership, review=review, action=action, comment=comment
    )


def _refusal(review: Review, position: Position, action: str) -> str:
    """Why the action does not exist where the review stands, naming the step."""
    if position.step is None:
        return _("This review is approved: it can no longer change.")
    step = position.step.label
    if action == "submit":
        return _("This review is at “%(step)s”: it was submitted already.") % {"step": step}
    if position.index == 0:
        return _("This review is at “%(step)s”: the manager submits it first.") % {"step": step}
    if action == "forward":
        return _("“%(step)s” is the last step: approve or return the review.") % {"step": step}
    return _("This review is at “%(step)s”: pass it on to the next step first.") % {"step": step}


# --- Feedback ------------------------------------------------------------------------------
