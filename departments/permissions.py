"""Role rules of SPEC §1 as small named predicates over a Membership.

Views and API classes ask these, never compare role strings themselves."""

import rules

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
