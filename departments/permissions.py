"""Role rules of SPEC §1 as small named predicates over a Membership.

Views and API classes ask these, never compare role strings themselves."""

import rules
from django.db.models import Q

from .models import Role


@rules.predicate
def is_admin(membership) -> bool:
    return membership is not None and membership.role == Role.ADMIN


@rules.predicate
def is_hr(membership) -> bool:
    return membership is not None and membership.role == Role.HR


@rules.predicate
def is_manager(membership) -> bool:
    return membership is not None and membership.role == Role.MANAGER


@rules.predicate
def is_executive(membership) -> bool:
    return membership is not None and membership.role == Role.EXECUTIVE


is_member = is_admin | is_hr | is_manager | is_executive
# Members, roles and organization settings.
can_manage_members = is_admin
can_edit_settings = is_admin
# Departments, indicator library, templates, KPIs, periods (open, lock).
can_configure = is_admin | is_hr

# Who always sees who rated a feedback, whatever the organization's anonymity (HR, and the
# admin who can make themselves HR anyway); the rated department sees it only when the
# organization turns `feedback_anonymous` off (reviews.selectors.feedback_rater_hidden).
can_see_feedback_raters = is_admin | is_hr
# Every dashboard, scorecard and review of the organization.
can_view_all = is_admin | is_hr | is_executive
# Approve or return reviews (an executive's step of the review workflow).
can_decide_reviews = is_admin | is_executive
# Pass on or return a review at an HR step of the workflow.
can_check_reviews = is_admin | is_hr
# Company-level indices (dashboards): everyone in the organization.
can_view_company = is_member


def managed_department_ids(membership) -> frozenset[int]:
    """Departments the member manages directly or through a parent (set once per request
    by the access layer; see departments.selectors.managed_department_ids)."""
    return getattr(membership, "managed_ids", frozenset())


def visible_department_ids(membership) -> frozenset[int] | None:
    """The departments whose scorecards, KPIs and actuals this member may see: ``None`` for
    every department (admin, HR, executives), else those they manage (directly or through a
    parent). Selectors take ``department_ids=None`` as "no restriction"."""
    return None if can_view_all(membership) else managed_department_ids(membership)


def can_enter_actuals(membership, department) -> bool:
    """Admin and HR enter or correct any actual; a manager those of the departments they
    manage and their sub-departments."""
    if can_configure(membership):
        return True
    return is_manager(membership) and department.pk in managed_department_ids(membership)


def can_view_department(membership, department) -> bool:
    """Scorecards, history and reviews of one department."""
    if can_view_all(membership):
        return True
    return is_manager(membership) and department.pk in managed_department_ids(membership)


def can_write_review(membership, department) -> bool:
    return is_manager(membership) and department.pk in managed_department_ids(membership)


# --- Action plans on red KPIs and goals behind plan (issue 19) ---------------------------


def can_plan_actions(membership, department) -> bool:
    """Who puts an action on a red or amber KPI line of `department` (None: on a company
    goal behind plan), reassigns or re-dates it: admin, HR and executives anywhere, a
    manager on the departments they manage (and their sub-departments)."""
    if can_view_all(membership):
        return True
    return (
        department is not None
        and is_manager(membership)
        and department.pk in managed_department_ids(membership)
    )


def can_update_action_status(membership, *, department, owner_id) -> bool:
    """Who moves an action along (in progress, done, dropped, reopened): those who may plan
    it, and its owner."""
    if can_plan_actions(membership, department):
        return True
    return membership is not None and owner_id is not None and membership.user_id == owner_id


def can_view_action(membership, *, department, owner_id) -> bool:
    """An action on a department's KPI is seen by those who see the department and by its
    owner; an action on a company goal by every member (goals are)."""
    if department is None:
        return is_member(membership)
    if can_view_department(membership, department):
        return True
    return membership is not None and owner_id is not None and membership.user_id == owner_id


def can_confirm_kpi(membership, kpi) -> bool:
    """Confirm or reject the values entered for a KPI that needs sign-off: its named role,
    or a manager of its named department (directly or through a parent); an admin always
    (metrics.services.signoff). Nobody for a KPI that needs no confirmation."""
    if membership is None or not (kpi.confirm_role or kpi.confirm_department_id):
        return False
    if is_admin(membership):
        return True
    if kpi.confirm_role:
        return membership.role == kpi.confirm_role
    return is_manager(membership) and kpi.confirm_department_id in managed_department_ids(
        membership
    )


def confirmable_filter(membership) -> Q | None:
    """The KPIs whose values this member may confirm, as a Q over Kpi (None: none at
    all): the same rule as `can_confirm_kpi`, for the queue's selectors."""
    if membership is None:
        return None
    needs = Q(confirm_department__isnull=False) | ~Q(confirm_role="")
    if is_admin(membership):
        return needs
    mine = Q(confirm_role=membership.role)
    if is_manager(membership):
        mine |= Q(confirm_department_id__in=managed_department_ids(membership))
    return mine
