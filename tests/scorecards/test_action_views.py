"""Action pages (issue 19): the list (filters, "my actions"), one action and its update
form, a new action from the scorecard, KPI and goals pages, the red KPIs without an
action; the follow-up on the scorecard, the dashboard (its cached body renewed by an
action's change) and the home page. Every role, another organization, query counts at two
sizes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from departments.models import Membership, Role
from departments.selectors import managed_department_ids
from scorecards.models import Action, Goal, ScorecardLine
from scorecards.services import action_create, action_update
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hr", "manager", "executive", "outsider"]


def _member(org, user):
    membership = Membership.objects.for_org(org).get(user=user)
    membership.managed_ids = managed_department_ids(org=org, user=user)
    return membership


def _due(days=10):
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def world(org, action_world):
    return action_world


@pytest.fixture
def action(org, hr, manager, world):
    return action_create(
        org=org,
        membership=_member(org, hr),
        title="Call the <b>ten</b> largest customers",
        owner=manager,
        due_date=_due(),
        kpi=world["red"],
        period=world["month"],
    )


def _subject(world, kpi=None):
    return f"kpi:{(kpi or world['red']).pk}:{world['month'].pk}"


# --- who may open what ----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_its_answer_on_every_page(
    org, client, login, role_users, role, world, action
):
    login(role_users[role])
    slug = org.slug
    month = world["month"]
    expected_by_page = [
        (f"/o/{slug}/actions/", {"admin": 200, "hr": 200, "manager": 200, "executive": 200}),
        (
            f"/o/{slug}/actions/{action.pk}/",
            {"admin": 200, "hr": 200, "manager": 200, "executive": 200},
        ),
        (
            f"/o/{slug}/actions/red-kpis/?period={month.pk}",
            {"admin": 200, "hr": 200, "manager": 200, "executive": 200},
        ),
        (
            f"/o/{slug}/actions/new/?subject={_subject(world)}",
            {"admin": 200, "hr": 200, "manager": 200, "executive": 200},
        ),
    ]
    wrong = []
    for url, expected in expected_by_page:
        got = client.get(url).status_code
        if got != expected.get(role, 404):
            wrong.append((url, got))
    assert not wrong


def test_a_manager_cannot_plan_for_a_department_they_do_not_manage(
    org, client, login, manager, world
):
    hr_line = ScorecardLine.objects.for_org(org).get(
        period=world["month"], department=world["hr_dept"], status="amber"
    )
    login(manager)
    url = f"/o/{org.slug}/actions/new/?subject={_subject(world, hr_line.kpi)}"
    assert client.get(url).status_code == 403
    body = {
        "subject": _subject(world, hr_line.kpi),
        "title": "x",
        "owner": manager.pk,
        "due_date": _due(),
    }
    assert client.post(f"/o/{org.slug}/actions/new/", body).status_code == 403
    assert not Action.objects.for_org(org).exists()


def test_another_organizations_subject_is_not_found(org, other_org, client, login, outsider, world):
    login(outsider)
    url = f"/o/{other_org.slug}/actions/new/?subject={_subject(world)}"
    assert client.get(url).status_code == 404
    assert client.get(f"/o/{other_org.slug}/actions/new/?subject=nonsense").status_code == 404


# --- the scorecard: actions of its lines, the add form, the follow-up ------------------


def test_a_manager_adds_an_action_from_the_scorecard_and_sees_it_on_the_line(
    org, client, login, manager, world
):
    login(manager)
    page_url = f"/o/{org.slug}/scorecards/{world['sales'].pk}/?period={world['month'].pk}"
    page = client.get(page_url).content.decode()
    assert "Add action" in page and "No action yet on this red KPI." in page
    answer = client.post(
        f"/o/{org.slug}/actions/new/",
        {
            "subject": _subject(world),
            "title": "Raise prices <script>",
            "owner": manager.pk,
            "due_date": _due().isoformat(),
            "next": page_url,
        },
    )
    assert answer.status_code == 302 and answer["Location"] == page_url
    page = client.get(page_url).content.decode()
    assert "Raise prices &lt;script&gt;" in page  # escaped
    assert "No action yet on this red KPI." not in page
    action = Action.objects.for_org(org).get()
    assert action.owner == manager and action.kpi == world["red"]


def test_a_refused_action_shows_its_field_and_saves_nothing(org, client, login, hr, world):
    login(hr)
    answer = client.post(
        f"/o/{org.slug}/actions/new/",
        {
            "subject": _subject(world, world["grey"]),
            "title": "",
            "owner": hr.pk,
            "due_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
            "next": "https://evil.example/",
        },
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "invalid-feedback" in page and "evil.example" not in page
    assert not Action.objects.for_org(org).exists()
    # The form was fine, the service refused: the subject's and the due date's reasons shown.
    answer = client.post(
        f"/o/{org.slug}/actions/new/",
        {
            "subject": _subject(world, world["grey"]),
            "title": "Do it",
            "owner": hr.pk,
            "due_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        },
    )
    page = answer.content.decode()
    assert "Only a red or amber KPI line can get an action" in page
    assert "The due date cannot be in the past." in page
    assert not Action.objects.for_org(org).exists()


def test_the_kpi_page_and_the_goals_page_show_actions_and_the_form(
    org, client, login, hr, manager, world, action
):
    goal = Goal.objects.create(
        organization=org, title="Grow", period=world["month"], progress=Decimal("70")
    )
    login(hr)
    page = client.get(f"/o/{org.slug}/kpis/{world['red'].pk}/?period={world['month'].pk}")
    assert (
        "ten</b>" not in page.content.decode() and "Call the &lt;b&gt;ten" in page.content.decode()
    )
    assert "Add action" in page.content.decode()
    goals = client.get(f"/o/{org.slug}/goals/?period={world['month'].pk}").content.decode()
    assert "behind plan" in goals and "No action yet on this goal." in goals
    assert f"goal:{goal.pk}" in goals
    login(manager)  # a manager does not plan for company goals
    goals = client.get(f"/o/{org.slug}/goals/?period={world['month'].pk}").content.decode()
    assert f"goal:{goal.pk}" not in goals


# --- one action: the owner moves it along, planners change everything -------------------


def test_the_owner_moves_it_along_and_sees_no_planning_fields(org, client, login, hr, world):
    doer = UserFactory(username="dora-doer")
    MembershipFactory(organization=org, user=doer, role=Role.MANAGER)
    action = action_create(
        org=org,
        membership=_member(org, hr),
        title="Fix it",
        owner=doer,
        due_date=_due(),
        kpi=world["red"],
        period=world["month"],
    )
    login(doer)
    url = f"/o/{org.slug}/actions/{action.pk}/"
    page = client.get(url).content.decode()
    assert 'name="status"' in page and 'name="owner"' not in page
    assert client.post(url, {"status": "done"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.closed_at is not None
    answer = client.post(url, {"status": "in_progress"})  # done → in progress is refused
    assert answer.status_code == 200 and "invalid-feedback" in answer.content.decode()


def test_a_member_who_is_neither_planner_nor_owner_cannot_update(org, client, login, world, hr):
    other = UserFactory(username="otto-other")
    MembershipFactory(organization=org, user=other, role=Role.MANAGER)
    action = action_create(
        org=org,
        membership=_member(org, hr),
        title="Fix it",
        owner=hr,
        due_date=_due(),
        kpi=world["red"],
        period=world["month"],
    )
    login(other)
    url = f"/o/{org.slug}/actions/{action.pk}/"
    assert client.get(url).status_code == 403  # not their department, not theirs
    assert client.post(url, {"status": "done"}).status_code == 403


# --- the list: filters and "my actions"; query counts at two sizes ----------------------


def _many(org, hr, manager, world, n):
    member = _member(org, hr)
    for i in range(n):
        action_create(
            org=org,
            membership=member,
            title=f"Step {i}",
            owner=manager if i % 2 else hr,
            due_date=_due(i + 1),
            kpi=world["red"],
            period=world["month"],
        )


@pytest.mark.parametrize("n", [2, 12])
def test_the_list_runs_the_same_queries_whatever_its_length(
    org, client, login, hr, manager, world, n, django_assert_max_num_queries
):
    _many(org, hr, manager, world, n)
    login(hr)
    with django_assert_max_num_queries(14):
        page = client.get(f"/o/{org.slug}/actions/?status=active")
    assert page.content.decode().count('class="badge action-status') == n


def test_my_actions_and_the_overdue_filter(org, client, login, hr, manager, world):
    _many(org, hr, manager, world, 4)
    late = Action.objects.for_org(org).filter(owner=manager).first()
    Action.objects.for_org(org).filter(pk=late.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    login(manager)
    mine = client.get(f"/o/{org.slug}/actions/?mine=on").content.decode()
    assert mine.count('class="badge action-status') == 2 and "My actions" in mine
    overdue = client.get(f"/o/{org.slug}/actions/?overdue=on").content.decode()
    assert overdue.count('class="badge action-status') == 1 and "overdue" in overdue


@pytest.mark.parametrize("n", [1, 3])
def test_red_kpis_without_an_action_list_links_each(
    org, client, login, executive, world, n, django_assert_max_num_queries
):
    from metrics import selectors
    from scorecards.rollup import recalculate
    from tests.factories import enter_actuals

    if n > 1:  # more red lines: other departments' red profit margins
        from metrics.services.templates import template_apply
        from tests.factories import make_department

        extra = [make_department(org, code=f"shop{i}") for i in range(n - 1)]
        template_apply(
            template=selectors.template_list(org=org).get(code="sales_standard"),
            departments=extra,
            by=None,
        )
        for d in extra:
            kpis = {k.indicator.code: k for k in selectors.kpi_list(org=org, department=d)}
            enter_actuals(
                org,
                (kpis["sales_revenue"], world["month"], "1500000"),
                (kpis["profit"], world["month"], "100"),
            )
        recalculate(org=org, period_ids=[p.pk for p in world["periods"]])
    login(executive)
    with django_assert_max_num_queries(14):
        page = client.get(f"/o/{org.slug}/actions/red-kpis/?period={world['month'].pk}")
    body = page.content.decode()
    assert body.count("/kpis/") >= n and body.count("Add action</a>") == n


# --- the follow-up: dashboard body renewed, home page -----------------------------------


def test_the_dashboard_follow_up_changes_when_an_action_is_added(
    org, client, login, executive, hr, world, settings, django_capture_on_commit_callbacks
):
    settings.PERFHUB_DASHBOARD_CACHE_SECONDS = 600
    login(executive)
    url = f"/o/{org.slug}/dashboard/?period={world['month'].pk}"
    first = client.get(url).content.decode()
    assert (
        "Red KPIs without an action" in first
        and "Profit margin" in first.split('id="follow-up"')[1]
    )
    second = client.get(url)
    assert "current" not in second.context  # served from the cache, not computed
    with django_capture_on_commit_callbacks(execute=True):
        action_create(
            org=org,
            membership=_member(org, hr),
            title="Cut the discounts",
            owner=hr,
            due_date=_due(),
            kpi=world["red"],
            period=world["month"],
        )
    after = client.get(url).content.decode()
    assert "None: every red KPI has an action." in after
    with django_capture_on_commit_callbacks(execute=True):
        action = Action.objects.for_org(org).get()
        action_update(org=org, membership=_member(org, hr), action=action, status="in_progress")
        # Closed in March (the dashboard's period; the service stamps now).
        action_update(org=org, membership=_member(org, hr), action=action, status="done")
        march = timezone.make_aware(dt.datetime(2026, 3, 25, 12))
        Action.objects.for_org(org).filter(pk=action.pk).update(closed_at=march)
    done = client.get(url).content.decode()
    assert "Cut the discounts" in done.split("Actions closed this period")[1]


def test_the_home_page_shows_the_follow_up_of_managers_and_executives(
    org, client, login, manager, executive, world, action
):
    login(manager)
    page = client.get(f"/o/{org.slug}/").content.decode()
    assert 'id="follow-up-manager"' in page and "My actions (1 open)" in page
    login(executive)
    page = client.get(f"/o/{org.slug}/").content.decode()
    assert 'id="red-without-action-link"' in page


def test_a_planner_updates_status_owner_and_due_date_from_the_page(
    org, client, login, hr, manager, action
):
    login(manager)  # the manager of Sales plans for it
    url = f"/o/{org.slug}/actions/{action.pk}/"
    page = client.get(url).content.decode()
    assert 'name="owner"' in page
    # The date input gets the value as it takes it (YYYY-MM-DD), not a localized date.
    assert f'value="{action.due_date.isoformat()}"' in page
    later = _due(30)
    answer = client.post(
        url,
        {"status": "in_progress", "title": action.title, "owner": hr.pk, "due_date": later},
    )
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    action.refresh_from_db()
    assert (action.status, action.owner, action.due_date) == ("in_progress", hr, later)
