"""actions/ through the API (issue 19): members list those they see (filters), admin, HR,
executives and the department's managers plan, the owner moves one along; another
organization gets 404; bad input is refused naming the field; the list's query count is
the same at two sizes."""

import datetime as dt

import pytest
from django.utils import timezone

from departments.models import Membership, Role
from departments.selectors import managed_department_ids
from scorecards.models import Action, ScorecardLine
from scorecards.services import action_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orgs/acme/actions/"


def _member(org, user):
    membership = Membership.objects.for_org(org).get(user=user)
    membership.managed_ids = managed_department_ids(org=org, user=user)
    return membership


def _due(days=10):
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def action(org, hr, manager, action_world):
    return action_create(
        org=org,
        membership=_member(org, hr),
        title="Call the customers",
        owner=manager,
        due_date=_due(),
        kpi=action_world["red"],
        period=action_world["month"],
    )


@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive", "outsider"])
def test_every_role_gets_its_answer_on_every_endpoint(api, role_users, role, action_world, action):
    client = api(role_users[role])
    body = {
        "kpi": action_world["amber"].pk,
        "period": action_world["month"].pk,
        "title": "Visit the top accounts",
        "owner": role_users["manager"].pk,
        "due_date": _due().isoformat(),
    }
    answers = [
        ("get", URL, None, {"admin": 200, "hr": 200, "manager": 200, "executive": 200}),
        ("post", URL, body, {"admin": 201, "hr": 201, "manager": 201, "executive": 201}),
        (
            "get",
            f"{URL}{action.pk}/",
            None,
            {"admin": 200, "hr": 200, "manager": 200, "executive": 200},
        ),
        # the manager owns it (and manages Sales): all may move it along
        (
            "patch",
            f"{URL}{action.pk}/",
            {"status": "in_progress"},
            {"admin": 200, "hr": 200, "manager": 200, "executive": 200},
        ),
    ]
    wrong = []
    for method, url, data, expected in answers:
        got = getattr(client, method)(url, data, format="json").status_code
        if got != expected.get(role, 404):
            wrong.append((method, url, got))
    assert not wrong


def test_the_owner_alone_may_not_reassign(api, org, hr, action_world):
    doer = UserFactory(username="dora-doer")
    MembershipFactory(organization=org, user=doer, role=Role.MANAGER)
    action = action_create(
        org=org,
        membership=_member(org, hr),
        title="Fix",
        owner=doer,
        due_date=_due(),
        kpi=action_world["red"],
        period=action_world["month"],
    )
    client = api(doer)
    assert client.get(URL).json()["count"] == 1  # their own, though not their department
    answer = client.patch(f"{URL}{action.pk}/", {"owner": hr.pk}, format="json")
    assert answer.status_code == 403
    answer = client.patch(f"{URL}{action.pk}/", {"status": "done"}, format="json")
    assert answer.status_code == 200 and answer.json()["closed_at"]


def test_a_manager_sees_and_plans_only_their_departments(api, org, hr, manager, action_world):
    hr_line = ScorecardLine.objects.for_org(org).get(
        period=action_world["month"], department=action_world["hr_dept"], status="amber"
    )
    theirs = action_create(
        org=org,
        membership=_member(org, hr),
        title="HR's",
        owner=hr,
        due_date=_due(),
        kpi=hr_line.kpi,
        period=action_world["month"],
    )
    client = api(manager)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    body = {
        "kpi": hr_line.kpi.pk,
        "period": action_world["month"].pk,
        "title": "x",
        "owner": manager.pk,
        "due_date": _due().isoformat(),
    }
    assert client.post(URL, body, format="json").status_code == 403


def test_bad_input_names_the_field(api, hr, outsider, action_world):
    client = api(hr)
    body = {
        "kpi": action_world["grey"].pk,
        "period": action_world["month"].pk,
        "title": "x",
        "owner": hr.pk,
        "due_date": _due().isoformat(),
    }
    assert "kpi" in client.post(URL, body, format="json").json()
    assert "owner" in client.post(URL, {**body, "owner": outsider.pk}, format="json").json()
    assert "due_date" in client.post(URL, {**body, "due_date": "soon"}, format="json").json()
    assert "titel" in client.post(URL, {**body, "titel": "typo"}, format="json").json()
    assert "status" in client.get(URL, {"status": "finished"}).json()
    assert "overdue" in client.get(URL, {"overdue": "maybe"}).json()
    assert not Action.objects.unscoped().exists()


def test_another_organizations_action_is_not_found(api, org, other_org, outsider, action):
    client = api(outsider)
    assert client.get(f"/api/v1/orgs/{other_org.slug}/actions/{action.pk}/").status_code == 404
    answer = client.patch(
        f"/api/v1/orgs/{other_org.slug}/actions/{action.pk}/", {"status": "done"}, format="json"
    )
    assert answer.status_code == 404
    assert client.get(f"/api/v1/orgs/{other_org.slug}/actions/").json()["count"] == 0
    assert Action.objects.for_org(org).get().status == "open"


@pytest.mark.parametrize("n", [2, 15])
def test_the_list_runs_the_same_queries_whatever_its_length(
    api, org, hr, manager, action_world, n, django_assert_max_num_queries
):
    for i in range(n):
        action_create(
            org=org,
            membership=_member(org, hr),
            title=f"Step {i}",
            owner=manager,
            due_date=_due(i + 1),
            kpi=action_world["red"],
            period=action_world["month"],
        )
    client = api(hr)
    with django_assert_max_num_queries(8):
        answer = client.get(URL, {"status": "active", "overdue": "false"})
    assert answer.json()["count"] == n
    assert answer.json()["results"][0]["indicator_code"] == "profit_margin"
