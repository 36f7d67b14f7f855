"""The home page (reviews/views/home.py, issue 16 §1): each role's to-do with counts and
links, the sections of every role a member holds, fixed query counts, and HR's remind
action (a real reminder, once a day per period and department)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from metrics import selectors as metric_selectors
from metrics.services.periods import period_lock
from metrics.services.templates import template_apply
from reviews import home
from reviews.models import Notification, Review
from reviews.services.reminders import entry_remind
from reviews.services.steps import review_steps
from scorecards.models import OrgScorecard, Scorecard
from tests.factories import enter_actuals, give_feedback, make_department

pytestmark = pytest.mark.django_db

MARCH_20 = dt.date(2026, 3, 20)  # March 2026 is the current month, not yet due
APRIL_20 = dt.date(2026, 4, 20)  # March is past its due date, April is current


@pytest.fixture
def sales_std(org, sales, support, manager, hr):
    """Sales with its standard KPIs, one value of March entered; addresses to mail."""
    template_apply(
        template=metric_selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    kpis = {k.indicator.code: k for k in metric_selectors.kpi_list(org=org, department=sales)}
    enter_actuals(org, (kpis["sales_revenue"], support["month"], "1500000"))
    manager.email, hr.email = "mona@example.com", "harry@example.com"
    manager.save()
    hr.save()
    mail.outbox.clear()
    return kpis


def _url(org, name="org_home"):
    return reverse(name, kwargs={"slug": org.slug})


def _membership(org, user, member_of):
    return member_of(user)


# --- the page and its sections per role --------------------------------------------------


@pytest.mark.parametrize(
    "role,sections",
    [
        ("admin", {"hr", "executive"}),
        ("hr", {"hr"}),
        ("manager", {"manager"}),
        ("executive", {"executive"}),
    ],
)
def test_home_shows_the_sections_of_each_role(client, role_users, org, support, role, sections):
    client.force_login(role_users[role])
    response = client.get(_url(org))
    assert response.status_code == 200
    page = response.content.decode()
    shown = {s for s in ("manager", "hr", "executive") if f'data-home-section="{s}"' in page}
    assert shown == sections


def test_home_outsider_404_and_anonymous_to_sign_in(client, outsider, org):
    assert client.get(_url(org)).status_code == 302
    client.force_login(outsider)
    assert client.get(_url(org)).status_code == 404


def test_hr_who_manages_a_department_sees_both_sections(client, hr, org, support):
    from departments.services import department_update

    department_update(department=support["legal"], by=None, managers=[hr])
    client.force_login(hr)
    page = client.get(_url(org)).content.decode()
    assert 'data-home-section="manager"' in page and 'data-home-section="hr"' in page


def test_home_in_chinese(client, manager, org, support):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(manager)
    page = client.get(_url(org)).content.decode()
    assert "我的部门" in page and "My departments" not in page


# --- manager ------------------------------------------------------------------------------


def test_manager_todo_counts_missing_values_returned_reviews_and_feedback(
    org, sales, support, sales_kpis_std, manager, member_of
):
    month = support["month"]
    Review.objects.create(organization=org, department=sales, period=month, status="returned")
    Review.objects.create(
        organization=org, department=support["production"], period=month, status="returned"
    )  # not theirs
    give_feedback(
        org,
        period=support["months"][1],  # February: the last month that has ended on March 20
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=4,
    )
    todo = home.manager_todo(org=org, membership=member_of(manager), user=manager, today=MARCH_20)
    assert todo.period == month and not todo.overdue
    assert [r.department for r in todo.missing] == [sales]
    assert todo.missing_count == len(sales_kpis_std) - 1 - _untyped(sales_kpis_std)
    assert [r.department_id for r in todo.returned] == [sales.pk]
    assert todo.feedback_period == support["months"][1]
    # Sales rated HR, not Legal: one rating still to give.
    assert [(rater, rated) for rater, rated in todo.feedback_missing] == [
        (sales, [support["legal"]])
    ]
    assert todo.count == todo.missing_count + 1 + 1


def _untyped(kpis):
    return sum(1 for k in kpis.values() if not k.indicator.typed)


@pytest.fixture
def sales_kpis_std(sales_std):
    return sales_std


def test_manager_todo_query_count_is_fixed(
    org, support, sales_std, manager, member_of, django_assert_num_queries
):
    membership = member_of(manager)
    with django_assert_num_queries(12):
        home.manager_todo(org=org, membership=membership, user=manager, today=MARCH_20)
    for n in range(4):  # more departments, KPIs, reviews and ratings: the same queries
        d = make_department(org, code=f"x{n}", managers=[manager])
        template_apply(
            template=metric_selectors.template_list(org=org).get(code="sales_standard"),
            departments=[d],
            by=None,
        )
        Review.objects.create(
            organization=org, department=d, period=support["month"], status="returned"
        )
    membership = member_of(manager)
    with django_assert_num_queries(12):
        todo = home.manager_todo(org=org, membership=membership, user=manager, today=MARCH_20)
    assert len(todo.returned) == 4 and len(todo.missing) == 5


# --- HR -------------------------------------------------------------------------------------


def test_hr_todo_lists_late_departments_without_manager_and_periods(org, support, sales_std):
    months = support["months"]
    period_lock(period=months[0], by=None)  # January locked with every value missing
    todo = home.hr_todo(org=org, today=APRIL_20)
    assert todo.period == months[3] and todo.late  # April: the current month
    no_manager = {d.code for d in todo.no_manager}
    assert {"hr", "legal"} <= no_manager and "sales" not in no_manager
    reasons = {(a.period.label, a.reason) for a in todo.periods}
    assert (months[0].label, "missing") in reasons
    assert (months[2].label, "unlocked") in reasons  # March ended, still open
    january = next(a for a in todo.periods if a.period == months[0])
    typed = sum(1 for k in metric_selectors.kpi_list(org=org) if k.indicator.typed)
    assert january.missing == typed


def test_hr_todo_query_count_is_fixed(org, support, sales_std, django_assert_num_queries):
    with django_assert_num_queries(12):
        home.hr_todo(org=org, today=APRIL_20)
    for n in range(4):
        template_apply(
            template=metric_selectors.template_list(org=org).get(code="sales_standard"),
            departments=[make_department(org, code=f"y{n}")],
            by=None,
        )
    for p in support["months"][:3]:
        period_lock(period=p, by=None)
    with django_assert_num_queries(12):
        todo = home.hr_todo(org=org, today=APRIL_20)
    assert len(todo.periods) >= 3


# --- executive -----------------------------------------------------------------------------


def _scores(org, period, company, red_ids):
    OrgScorecard.objects.create(
        organization=org,
        period=period,
        company_index=Decimal(company),
        management_index=Decimal(company),
        business_index=Decimal(company),
        computed_at=timezone.now(),
    )
    for d in red_ids:
        Scorecard.objects.create(
            organization=org,
            department=d,
            period=period,
            status="red",
            score=Decimal(40),
            computed_at=timezone.now(),
        )


def test_executive_todo_indices_with_change_waiting_reviews_and_turned_red(org, sales, support):
    january, february = support["months"][0], support["months"][1]
    production = support["production"]
    _scores(org, january, "80", [production])
    _scores(org, february, "75.5", [production, sales])  # Sales turned red; Production was
    at_hr, at_decision = review_steps(org=org)[1:]
    Review.objects.create(
        organization=org,
        department=sales,
        period=january,
        status="submitted",
        current_step=at_decision,
    )
    # Waiting for HR's check: not yet the executive's business.
    Review.objects.create(
        organization=org,
        department=production,
        period=january,
        status="submitted",
        current_step=at_hr,
    )
    todo = home.executive_todo(org=org)
    assert todo.period == february
    company = todo.indices[0]
    assert company.name == "company_index" and company.change == Decimal("-4.5")
    assert company.direction == "down"
    assert [c.department for c in todo.turned_red] == [sales]
    assert [r.department for r in todo.waiting] == [sales]
    assert [r.department for r in home.hr_todo(org=org).waiting] == [production]


def test_executive_todo_reads_the_month_that_ended_not_the_running_one(
    org, sales, support, monkeypatch
):
    """As the dashboard: on the 6th of a month, the month before (complete), not the
    running month that holds what was entered so far."""
    import datetime as dt

    from django.utils import timezone

    january, february = support["months"][0], support["months"][1]
    _scores(org, january, "80", [sales])
    _scores(org, february, "75.5", [sales])
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: february.start + dt.timedelta(5))
    assert home.executive_todo(org=org).period == january
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: february.end + dt.timedelta(1))
    assert home.executive_todo(org=org).period == february


def test_executive_todo_query_count_is_fixed(org, sales, support, django_assert_num_queries):
    months = support["months"]
    _scores(org, months[0], "80", [sales])
    _scores(org, months[1], "70", [sales])
    with django_assert_num_queries(7):
        home.executive_todo(org=org)
    more = [make_department(org, code=f"z{n}") for n in range(4)]
    for d in more:
        Scorecard.objects.create(
            organization=org,
            department=d,
            period=months[1],
            status="red",
            score=Decimal(1),
            computed_at=timezone.now(),
        )
        Review.objects.create(
            organization=org,
            department=d,
            period=months[1],
            status="submitted",
            current_step=review_steps(org=org)[-1],
        )
    with django_assert_num_queries(7):
        todo = home.executive_todo(org=org)
    assert len(todo.turned_red) == 4 and len(todo.waiting) == 4


def test_executive_page_shows_the_arrows(client, executive, org, sales, support):
    _scores(org, support["months"][0], "70", [])
    _scores(org, support["months"][1], "75", [])
    client.force_login(executive)
    page = client.get(_url(org)).content.decode()
    assert page.count('data-direction="up"') == 3 and "▲ +5.0" in page


# --- the remind action -----------------------------------------------------------------------


def test_remind_sends_once_a_day_per_department(org, hr, manager, sales, support, sales_std):
    month = support["month"]
    result = entry_remind(org=org, period=month, by=hr, today=MARCH_20)
    assert result.reminded == [sales] and result.already == []
    assert [m.to for m in mail.outbox] == [["mona@example.com"]]
    assert "Reminder" in mail.outbox[0].subject and "harry-hr" in mail.outbox[0].body
    assert Notification.objects.for_org(org).filter(user=manager).count() == 1
    again = entry_remind(org=org, period=month, by=hr, today=MARCH_20)
    assert again.reminded == [] and again.already == [sales]
    assert len(mail.outbox) == 1  # rate-limited: nothing sent twice the same day
    entry_remind(org=org, period=month, by=hr, today=MARCH_20 + dt.timedelta(days=1))
    assert len(mail.outbox) == 2  # a new day, a new reminder


def test_remind_reports_departments_without_manager(org, hr, support, sales_std):
    template_apply(
        template=metric_selectors.template_list(org=org).get(code="production_standard"),
        departments=[lonely := make_department(org, code="lonely", function="production")],
        by=None,
    )
    result = entry_remind(org=org, period=support["month"], by=hr, today=MARCH_20)
    assert lonely in result.no_manager


def test_remind_refuses_a_locked_period(org, hr, support, sales_std):
    from django.core.exceptions import ValidationError

    locked = period_lock(period=support["month"], by=None)
    with pytest.raises(ValidationError):
        entry_remind(org=org, period=locked, by=hr)
    assert mail.outbox == []


def test_remind_view_from_home_and_completeness(client, hr, org, sales, support, sales_std):
    client.force_login(hr)
    url = _url(org, "entry_remind")
    data = {"period": support["month"].pk, "back": "home"}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == _url(org)
    texts = [str(m) for m in response.context["messages"]]
    assert any("Reminder sent to the managers of: Sales." in t for t in texts)
    response = client.post(url, {**data, "department": [sales.pk], "back": "completeness"})
    assert response["Location"].endswith(f"/entries/completeness/?period={support['month'].pk}")
    assert len(mail.outbox) == 1  # the second click the same day sent nothing


@pytest.mark.parametrize("role,expected", [("manager", 403), ("executive", 403), ("outsider", 404)])
def test_remind_view_roles(client, role_users, org, support, role, expected):
    client.force_login(role_users[role])
    response = client.post(
        _url(org, "entry_remind"), {"period": support["month"].pk, "back": "home"}
    )
    assert response.status_code == expected
    assert mail.outbox == []


def test_remind_view_other_orgs_period_is_404(client, hr, org, other_org, support):
    from metrics.services.periods import periods_generate

    theirs = periods_generate(org=other_org, fiscal_year=2026, by=None)[0]
    client.force_login(hr)
    response = client.post(_url(org, "entry_remind"), {"period": theirs.pk, "back": "home"})
    assert response.status_code == 404


def test_hr_and_executives_see_the_appeals_of_grades_to_decide(
    org, hr, executive, manager, sales, client, login
):
    from decimal import Decimal

    from django.utils import timezone

    from departments.models import Membership
    from grades import services as grades
    from grades.models import GradingPolicy
    from metrics.services.periods import periods_generate
    from scorecards.models import Scorecard

    quarter = next(
        p for p in periods_generate(org=org, fiscal_year=2026, by=None) if p.kind == "quarter"
    )
    Scorecard.objects.create(
        organization=org,
        department=sales,
        period=quarter,
        score=Decimal(95),
        rolled_up_score=Decimal(95),
        coverage=Decimal(1),
        computed_at=timezone.now(),
    )
    GradingPolicy.objects.create(organization=org, publish_rule="override")

    def member(user):
        return Membership.objects.for_org(org).get(user=user)

    calibration = grades.calibration_open(org=org, membership=member(hr), period=quarter)
    grades.calibration_publish(
        org=org, membership=member(hr), calibration=calibration, override_reason="ok"
    )
    grades.appeal_raise(
        org=org,
        membership=member(manager),
        calibration=calibration,
        department=sales,
        reason="Target moved",
    )
    for user in (hr, executive):
        login(user)
        page = client.get(f"/o/{org.slug}/").content.decode()
        assert "1 appeal of a grade to decide" in page, user
        assert f"grades/?period={quarter.pk}#grade-{sales.pk}" in page
