"""Writes of the scorecards app: company goals (their progress is computed by the roll-up;
scorecards themselves are written by the roll-up only, scorecards.rollup), comments on
scorecards, and actions on red KPIs and goals behind plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Membership
from departments.permissions import (
    can_plan_actions,
    can_update_action_status,
    is_admin,
    is_executive,
    is_hr,
)
from metrics.services.actuals_check import CONTROL_CHARACTERS
from metrics.services.recalc import recalculation_mark
from perfhub.cache_versions import dashboard_stale

from .models import (
    ACTION_ACTIVE,
    Action,
    ActionStatus,
    Goal,
    GoalLink,
    ScorecardComment,
    ScorecardLine,
    Status,
)

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


# --- Actions on red KPIs and goals behind plan (issue 19 "Action plans") -----------------

ACTION_TITLE_MAX = 200
# A KPI line that may get an action: red or amber (SPEC §3: below its target).
ACTION_LINE_STATUSES = (Status.RED, Status.AMBER)
# A goal is behind plan while its progress (a weighted mean of scores) is below 100.
GOAL_ON_PLAN = Decimal(100)
# Where each status may go: open and in progress move freely and close (done, dropped); a
# closed action can be reopened.
ACTION_MOVES: dict[str, frozenset[str]] = {
    ActionStatus.OPEN: frozenset(
        {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.DROPPED}
    ),
    ActionStatus.IN_PROGRESS: frozenset(
        {ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.DROPPED}
    ),
    ActionStatus.DONE: frozenset({ActionStatus.OPEN}),
    ActionStatus.DROPPED: frozenset({ActionStatus.OPEN}),
}


def goal_behind_plan(goal) -> bool:
    """A goal whose progress has been computed and is below 100."""
    return goal.progress is not None and goal.progress < GOAL_ON_PLAN


def _text_errors(field: str, text: str, *, limit: int, empty: str) -> dict:
    if not text:
        return {field: [empty]}
    if len(text) > limit:
        return {field: [_("At most %(n)d characters, please.") % {"n": limit}]}
    if CONTROL_CHARACTERS.search(text):
        message = _("This text contains invisible control characters (such as NUL): remove them.")
        return {field: [message]}
    return {}


def _owner_errors(org, owner) -> dict:
    if owner is None:
        return {"owner": [_("Choose who owns the action.")]}
    if not Membership.objects.for_org(org).filter(is_active=True).filter(user_id=owner.pk).exists():
        return {"owner": [_("The owner must be a member of the organization.")]}
    return {}


def _due_errors(due_date, today: dt.date) -> dict:
    if due_date is None:
        return {"due_date": [_("Give a due date.")]}
    if due_date < today:
        return {"due_date": [_("The due date cannot be in the past.")]}
    return {}


def _subject_errors(org, *, kpi, period, goal) -> dict:
    """What is wrong with the subject: exactly one of a KPI line (`kpi` in `period`, red
    or amber there) or a goal behind plan."""
    if (kpi is None) == (goal is None):
        return {"kpi": [_("Choose a red or amber KPI line, or a goal behind plan.")]}
    if goal is not None:
        if goal.organization_id != org.pk:
            return {"goal": [_("Unknown goal.")]}
        if not goal_behind_plan(goal):
            return {"goal": [_("Only a goal behind plan (progress below 100) can get an action.")]}
        return {}
    if kpi.organization_id != org.pk:
        return {"kpi": [_("Unknown KPI.")]}
    if period is None or period.organization_id != org.pk:
        return {"period": [_("Choose the period of the KPI line.")]}
    status = (
        ScorecardLine.objects.for_org(org)
        .filter(period_id=period.pk, department_id=kpi.department_id, kpi_id=kpi.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status not in ACTION_LINE_STATUSES:
        return {
            "kpi": [
                _(
                    "Only a red or amber KPI line can get an action: this KPI is not red or "
                    "amber in %(period)s."
                )
                % {"period": period.label}
            ]
        }
    return {}


@transaction.atomic
def action_create(
    *,
    org,
    membership,
    title: str,
    owner,
    due_date: dt.date | None,
    kpi=None,
    period=None,
    goal=None,
    today: dt.date | None = None,
) -> Action:
    """Put an action on a red or amber KPI line (`kpi` in `period`) or on a goal behind
    plan (`goal`, in the goal's period): a title, an owner who is a member and a due date
    (not in the past). Planned by admin, HR, executives, or a manager of the KPI's
    department (departments.permissions.can_plan_actions). Every problem is reported
    beside its field, nothing is saved; the dashboard's follow-up panel is renewed."""
    # Another organization's KPI: no department to plan for (refused below, on `kpi`).
    department = kpi.department if kpi is not None and kpi.organization_id == org.pk else None
    if not can_plan_actions(membership, department):
        raise PermissionDenied
    today = today or timezone.localdate()
    title = (title or "").strip()
    errors = {
        **_subject_errors(org, kpi=kpi, period=period, goal=goal),
        **_text_errors("title", title, limit=ACTION_TITLE_MAX, empty=_("Say what will be done.")),
        **_owner_errors(org, owner),
        **_due_errors(due_date, today),
    }
    if errors:
        raise ValidationError(errors)
    action = Action(
        organization=org,
        department=department,
        period=goal.period if goal is not None else period,
        kpi=kpi,
        goal=goal,
        title=title,
        owner=owner,
        due_date=cast(dt.date, due_date),  # refused above when missing
        created_by=membership.user,
    )
    action.full_clean(exclude=["organization"])
    action.save()
    dashboard_stale(org.pk)
    return action


_UNSET = object()


@transaction.atomic
def action_update(
    *,
    org,
    membership,
    action: Action,
    status: str | None = None,
    owner=_UNSET,
    due_date=_UNSET,
    title: str | None = None,
    today: dt.date | None = None,
) -> Action:
    """Move an action along (`status`: see ACTION_MOVES; done and dropped set `closed_at`,
    reopening clears it), reassign it (`owner`, a member), re-date it (`due_date`, not in
    the past) or retitle it. Its owner may change its status only; reassigning, re-dating
    and retitling are for those who may plan it. Nothing is saved on any error."""
    if action.organization_id != org.pk:
        raise PermissionDenied
    department = action.department
    planner = can_plan_actions(membership, department)
    if not can_update_action_status(membership, department=department, owner_id=action.owner_id):
        raise PermissionDenied
    changes_plan = owner is not _UNSET or due_date is not _UNSET or title is not None
    if changes_plan and not planner:
        raise PermissionDenied
    today = today or timezone.localdate()
    errors: dict = {}
    if status is not None and status != action.status:
        if status not in ActionStatus.values:
            errors["status"] = [_("Unknown status.")]
        elif status not in ACTION_MOVES[action.status]:
            errors["status"] = [
                _("An action that is %(now)s cannot become %(then)s.")
                % {
                    "now": ActionStatus(action.status).label,
                    "then": ActionStatus(status).label,
                }
            ]
    if owner is not _UNSET and (owner is None or owner.pk != action.owner_id):
        errors.update(_owner_errors(org, owner))
    if due_date is not _UNSET and due_date != action.due_date:
        errors.update(_due_errors(due_date, today))
    if title is not None:
        title = title.strip()
        errors.update(
            _text_errors("title", title, limit=ACTION_TITLE_MAX, empty=_("Say what will be done."))
        )
    if errors:
        raise ValidationError(errors)
    fields = ["updated_at"]
    if status is not None and status != action.status:
        action.status = status
        action.closed_at = None if status in ACTION_ACTIVE else timezone.now()
        fields += ["status", "closed_at"]
    if owner is not _UNSET:
        action.owner = owner
        fields.append("owner")
    if due_date is not _UNSET:
        action.due_date = due_date
        fields.append("due_date")
    if title is not None:
        action.title = title
        fields.append("title")
    if len(fields) > 1:
        action.save(update_fields=fields)
        dashboard_stale(org.pk)
    return action
