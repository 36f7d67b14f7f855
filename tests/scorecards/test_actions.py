"""Actions on red KPIs and goals behind plan (issue 19 "Action plans"): the services'
validation (each refusal names its field, nothing is saved), who may plan and who may move
an action along, the status transitions and their closing date, the audit, and the
dashboard's data version renewed by every change."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from departments.models import Membership, Role
from perfhub import cache_versions
from scorecards.models import Action, ActionEvent, Goal
from scorecards.services import action_create, action_update
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
DUE = dt.date(2026, 4, 15)


def _member(org, user):
    from departments.selectors import managed_department_ids

    membership = Membership.objects.for_org(org).get(user=user)
    membership.managed_ids = managed_department_ids(org=org, user=user)
    return membership


@pytest.fixture
def goal(org, action_world):
    return Goal.objects.create(
        organization=org, title="Grow", period=action_world["month"], progress=Decimal("72.5")
    )


def _create(org, world, by, **overrides):
    kwargs = {
        "org": org,
        "membership": _member(org, by),
        "title": "Call the ten largest customers",
        "owner": by,
        "due_date": DUE,
        "kpi": world["red"],
        "period": world["month"],
        "today": TODAY,
        **overrides,
    }
    return action_create(**kwargs)


# --- validation: each refusal names its field ---------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "bad\x00title"}, "title"),
        ({"owner": None}, "owner"),
        ({"owner": "outsider"}, "owner"),
        ({"due_date": None}, "due_date"),
        ({"due_date": TODAY - dt.timedelta(days=1)}, "due_date"),
        ({"kpi": "grey"}, "kpi"),  # no value: grey, not red or amber
        ({"period": "april"}, "kpi"),  # no value in April: not red or amber there
        ({"kpi": None}, "kpi"),  # no subject
        ({"goal": "goal"}, "kpi"),  # two subjects
        ({"kpi": None, "goal": "goal_on_plan"}, "goal"),
        ({"kpi": None, "goal": "goal_not_computed"}, "goal"),
        ({"kpi": "foreign"}, "kpi"),
        ({"period": None}, "period"),
    ],
)
def test_a_bad_action_is_refused_beside_its_field_and_nothing_is_saved(
    org, other_org, admin, outsider, action_world, goal, change, field
):
    def resolve(key, value):
        if value == "outsider":
            return outsider
        if value == "grey":
            return action_world["grey"]
        if value == "april":
            return next(p for p in action_world["periods"] if p.kind == "month" and p.number == 4)
        if value == "goal":
            return goal
        if value == "goal_on_plan":
            goal.progress = Decimal(100)
            goal.save()
            return goal
        if value == "goal_not_computed":
            goal.progress = None
            goal.save()
            return goal
        if value == "foreign":
            from metrics.models import Kpi

            return Kpi(organization=other_org, department_id=0, indicator_id=0, pk=10**9)
        return value

    overrides = {key: resolve(key, value) for key, value in change.items()}
    with pytest.raises(ValidationError) as refused:
        _create(org, action_world, admin, **overrides)
    assert field in refused.value.message_dict, refused.value.message_dict
    assert not Action.objects.for_org(org).exists()


def test_an_amber_line_and_a_goal_behind_plan_get_actions(org, hr, action_world, goal):
    on_line = _create(org, action_world, hr, kpi=action_world["amber"])
    on_goal = _create(org, action_world, hr, kpi=None, period=None, goal=goal)
    assert on_line.department == action_world["sales"] and on_line.period == action_world["month"]
    assert on_goal.department is None and on_goal.period == goal.period
    assert on_goal.status == "open" and on_goal.closed_at is None and on_goal.created_by == hr


# --- who may plan, who may move it along ---------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("hr", True), ("executive", True), ("manager", True)],
)
def test_who_may_put_an_action_on_the_sales_line(org, role_users, action_world, role, allowed):
    action = _create(org, action_world, role_users[role])
    assert action.pk


def test_a_manager_plans_only_for_the_departments_they_manage(org, manager, action_world, goal):
    from scorecards.models import ScorecardLine

    hr_line = ScorecardLine.objects.for_org(org).get(
        period=action_world["month"], department=action_world["hr_dept"], status="amber"
    )
    with pytest.raises(PermissionDenied):
        _create(org, action_world, manager, kpi=hr_line.kpi)
    with pytest.raises(PermissionDenied):  # company goals: admin, HR, executives
        _create(org, action_world, manager, kpi=None, period=None, goal=goal)


def test_the_owner_moves_it_along_but_cannot_reassign_or_redate(org, hr, action_world):
    doer = UserFactory(username="dora-doer")
    MembershipFactory(organization=org, user=doer, role=Role.EXECUTIVE)
    stranger = UserFactory(username="stan-stranger")
    MembershipFactory(organization=org, user=stranger, role=Role.MANAGER)
    action = _create(org, action_world, hr, owner=doer)
    action_update(org=org, membership=_member(org, doer), action=action, status="in_progress")
    with pytest.raises(PermissionDenied):
        action_update(org=org, membership=_member(org, stranger), action=action, status="done")
    # An executive plans anywhere; make the owner a manager of nothing to test the owner alone.
    Membership.objects.for_org(org).filter(user=doer).update(role=Role.MANAGER)
    owner = _member(org, doer)
    action_update(org=org, membership=owner, action=action, status="done", today=TODAY)
    with pytest.raises(PermissionDenied):
        action_update(org=org, membership=owner, action=action, owner=hr)
    with pytest.raises(PermissionDenied):
        action_update(org=org, membership=owner, action=action, due_date=DUE)
    action.refresh_from_db()
    assert action.status == "done" and action.owner == doer


# --- transitions ----------------------------------------------------------------------


def test_done_and_dropped_close_the_action_and_reopening_clears_it(org, hr, action_world):
    action = _create(org, action_world, hr)
    member = _member(org, hr)
    action_update(org=org, membership=member, action=action, status="in_progress")
    assert action.closed_at is None
    action_update(org=org, membership=member, action=action, status="done")
    assert action.status == "done" and action.closed_at is not None
    with pytest.raises(ValidationError) as refused:
        action_update(org=org, membership=member, action=action, status="in_progress")
    assert "status" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        action_update(org=org, membership=member, action=action, status="finished")
    assert "status" in refused.value.message_dict
    action_update(org=org, membership=member, action=action, status="open")
    action_update(org=org, membership=member, action=action, status="dropped")
    action.refresh_from_db()
    assert action.status == "dropped" and action.closed_at is not None
    labels = [e.pgh_label for e in ActionEvent.objects.filter(pgh_obj=action).order_by("pgh_id")]
    assert labels == ["insert", "update", "update", "update", "update"]
    assert [e.status for e in ActionEvent.objects.filter(pgh_obj=action).order_by("pgh_id")] == [
        "open",
        "in_progress",
        "done",
        "open",
        "dropped",
    ]


def test_reassigning_and_redating_check_the_new_values(org, hr, outsider, action_world):
    action = _create(org, action_world, hr)
    member = _member(org, hr)
    with pytest.raises(ValidationError) as refused:
        action_update(
            org=org,
            membership=member,
            action=action,
            owner=outsider,
            due_date=TODAY - dt.timedelta(days=2),
            today=TODAY,
        )
    assert set(refused.value.message_dict) == {"owner", "due_date"}
    action.refresh_from_db()
    assert action.owner == hr and action.due_date == DUE
    action_update(
        org=org, membership=member, action=action, due_date=DUE + dt.timedelta(days=7), today=TODAY
    )
    action.refresh_from_db()
    assert action.due_date == DUE + dt.timedelta(days=7)


def test_another_organizations_action_cannot_be_updated(org, other_org, outsider, hr, action_world):
    action = _create(org, action_world, hr)
    membership = Membership.objects.unscoped().get(user=outsider)
    with pytest.raises(PermissionDenied):
        action_update(org=other_org, membership=membership, action=action, status="done")


def test_every_change_renews_the_dashboards_data_version(
    org, hr, action_world, django_capture_on_commit_callbacks
):
    name = cache_versions.dashboard_name(org.pk)
    before = cache_versions.token(name)
    with django_capture_on_commit_callbacks(execute=True):
        action = _create(org, action_world, hr)
    created = cache_versions.token(name)
    assert created != before
    with django_capture_on_commit_callbacks(execute=True):
        action_update(org=org, membership=_member(org, hr), action=action, status="done")
    assert cache_versions.token(name) != created
    assert timezone.now() - action.closed_at < dt.timedelta(minutes=1)
