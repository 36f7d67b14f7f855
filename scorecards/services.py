"""Writes of the scorecards app: company goals (their progress is computed by the roll-up;
scorecards themselves are written by the roll-up only, scorecards.rollup)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.permissions import is_admin, is_executive, is_hr
from metrics.services.actuals_check import CONTROL_CHARACTERS
from metrics.services.recalc import recalculation_mark

from .models import Goal, GoalLink, ScorecardComment

# Who writes comments on scorecards: the people who judge them.
can_comment = is_admin | is_hr | is_executive


@transaction.atomic
def goal_save(
    *, org, by, title: str, period, links: list[tuple], description: str = "", goal=None
) -> Goal:
    """Create or edit a company goal for a period with its linked KPIs, each with a
    contribution weight (`links`: [(kpi, weight)]). Its progress is computed by the
    roll-up, which this marks for the goal's period."""
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    errors = {}
    seen = set()
    for n, (kpi, weight) in enumerate(links):
        if kpi.organization_id != org.pk:
            errors[f"links.{n}.kpi"] = [_("Unknown KPI.")]
        elif kpi.pk in seen:
            errors[f"links.{n}.kpi"] = [_("Listed twice.")]
        if weight is None or Decimal(weight) < 0:
            errors[f"links.{n}.weight"] = [_("The weight cannot be negative.")]
        seen.add(kpi.pk)
    if not links:
        errors["links"] = [_("Link at least one KPI.")]
    goal = goal or Goal(organization=org, created_by=by)
    goal.title, goal.description, goal.period = title, description, period
    try:
        goal.full_clean(exclude=["organization", "progress", "computed_at"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    goal.save()
    GoalLink.objects.for_org(org).filter(goal=goal).delete()
    GoalLink.objects.bulk_create(
        GoalLink(organization=org, goal=goal, kpi=kpi, weight=Decimal(weight))
        for kpi, weight in links
    )
    recalculation_mark(org=org, periods=[period])
    return goal


COMMENT_MAX = 2000


@transaction.atomic
def comment_add(*, org, membership, department, period, text: str, kpi=None):
    """An executive's or HR's comment on a department's scorecard of a period, or on one
    of its lines (`kpi`); the department's managers read it on their scorecard and review.
    Audited by triggers (ScorecardCommentEvent)."""
    if not can_comment(membership):
        raise PermissionDenied
    if department.organization_id != org.pk:
        raise ValidationError({"department": [_("Unknown department.")]})
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    if kpi is not None and (kpi.organization_id != org.pk or kpi.department_id != department.pk):
        raise ValidationError({"kpi": [_("Choose a KPI of this department.")]})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the comment first.")]})
    if len(text) > COMMENT_MAX:
        message = _("At most %(n)d characters, please.") % {"n": COMMENT_MAX}
        raise ValidationError({"text": [message]})
    if CONTROL_CHARACTERS.search(text):
        message = _("This text contains invisible control characters (such as NUL): remove them.")
        raise ValidationError({"text": [message]})
    return ScorecardComment.objects.create(
        organization=org,
        department=department,
        period=period,
        kpi=kpi,
        text=text,
        by=membership.user,
        at=timezone.now(),
    )


@transaction.atomic
def comment_delete(*, org, membership, comment) -> None:
    """Its author (or an admin) takes a comment back; the audit keeps it."""
    if comment.organization_id != org.pk:
        raise PermissionDenied
    if comment.by_id != membership.user_id and not is_admin(membership):
        raise PermissionDenied
    comment.delete()
