"""The manager's "my entries" page and a KPI's history page."""

from decimal import Decimal

import pytest

from metrics.models import Actual
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.periods import period_lock

pytestmark = pytest.mark.django_db


def url(org, period=None):
    return f"/o/{org.slug}/entries/" + (f"?period={period.pk}" if period else "")


def form(period, cells):
    """cells: {kpi: (value, note, version, shown)} as the page would post them."""
    data = {"period": period.pk}
    for kpi, (value, note, version, shown) in cells.items():
        data[f"v-{kpi.pk}"] = value
        data[f"n-{kpi.pk}"] = note
        data[f"ver-{kpi.pk}"] = version
        data[f"o-{kpi.pk}"] = shown
    return data


@pytest.mark.parametrize(
    "role,expected",
    [("admin", 200), ("hr", 200), ("manager", 200), ("executive", 403), ("outsider", 404)],
)
def test_role_matrix(client, role_users, org, sales_kpis, month, role, expected):
    client.force_login(role_users[role])
    assert client.get(url(org, month)).status_code == expected


def test_grid_shows_kpis_with_unit_target_last_value_and_formula(
    client, manager, org, sales_kpis, periods
):
    feb = next(p for p in periods if p.kind == "month" and p.number == 2)
    mar = next(p for p in periods if p.kind == "month" and p.number == 3)
    actuals_save(
        org=org,
        by=manager,
        source="web",
        can_enter=lambda d: True,
        entries=[
            ActualInput(sales_kpis["sales_revenue"].pk, feb.pk, "1600000"),
            ActualInput(sales_kpis["profit"].pk, mar.pk, "255000"),
            ActualInput(sales_kpis["sales_revenue"].pk, mar.pk, "1700000"),
        ],
    )
    client.force_login(manager)
    page = client.get(url(org, mar)).content.decode()
    assert "Sales revenue" in page and "1,666,666.67" in page  # quarterly 5M as a month
    assert "1,600,000" in page  # last period's value
    assert "= 15%" in page  # profit margin computed from profit / revenue
    assert f'name="v-{sales_kpis["profit_margin"].pk}"' not in page  # never typed


def test_save_all_or_nothing_with_message_beside_the_cell(client, manager, org, sales_kpis, month):
    client.force_login(manager)
    revenue, csat = sales_kpis["sales_revenue"], sales_kpis["customer_satisfaction"]
    response = client.post(
        url(org),
        form(
            month,
            {
                revenue: ("1700000", "", "0", ""),
                csat: ("lots", "", "0", ""),
            },
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "is-invalid" in page and "not a number" in page
    assert 'value="lots"' in page  # what the user typed is kept
    assert Actual.objects.for_org(org).count() == 0
    response = client.post(
        url(org),
        form(
            month,
            {
                revenue: ("1700000", "", "0", ""),
                csat: ("92", "", "0", ""),
            },
        ),
    )
    assert response.status_code == 302
    assert Actual.objects.for_org(org).count() == 2


def test_red_value_asks_for_a_note(client, manager, org, sales_kpis, month):
    client.force_login(manager)
    csat = sales_kpis["customer_satisfaction"]
    page = client.post(url(org), form(month, {csat: ("55", "", "0", "")})).content.decode()
    assert "Add a note" in page and "amber line" in page
    assert client.post(url(org), form(month, {csat: ("55", "Outage", "0", "")})).status_code == 302


def test_second_tab_gets_conflict_with_other_value_and_nothing_overwritten(
    client, manager, hr, org, sales_kpis, month
):
    revenue = sales_kpis["sales_revenue"]
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1700000")],
    )
    # Both tabs loaded version 1; the first saves 1800000.
    client.force_login(manager)
    assert (
        client.post(url(org), form(month, {revenue: ("1800000", "", "1", "1700000")})).status_code
        == 302
    )
    page = client.post(url(org), form(month, {revenue: ("1900000", "", "1", "1700000")}))
    text = page.content.decode()
    assert page.status_code == 200 and "1800000" in text and "Nothing was overwritten" in text
    assert Actual.objects.for_org(org).get().value == Decimal("1800000")


def test_second_tab_typing_the_same_value_is_no_conflict(
    client, manager, hr, org, sales_kpis, month
):
    """The grid shares the check: a tab read at version 1 that sends the value the other
    tab saved since changes nothing and is not refused."""
    revenue = sales_kpis["sales_revenue"]
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1700000")],
    )
    client.force_login(manager)
    same = form(month, {revenue: ("1800000", "", "1", "1700000")})
    assert client.post(url(org), same).status_code == 302
    page = client.post(url(org), same)
    assert page.status_code == 302, page.content.decode()
    actual = Actual.objects.for_org(org).get()
    assert (actual.value, actual.version) == (Decimal("1800000"), 2)


def test_untouched_cell_does_not_conflict(client, manager, hr, org, sales_kpis, month):
    revenue, csat = sales_kpis["sales_revenue"], sales_kpis["customer_satisfaction"]
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1700000")],
    )
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1750000", version=1)],
    )
    client.force_login(manager)
    # The page showed revenue 1700000 (version 1), the user only typed satisfaction.
    response = client.post(
        url(org),
        form(
            month,
            {
                revenue: ("1700000", "", "1", "1700000"),
                csat: ("91", "", "0", ""),
            },
        ),
    )
    assert response.status_code == 302
    assert Actual.objects.for_org(org).get(kpi=revenue).value == Decimal("1750000")


def test_locked_period_is_read_only(client, manager, hr, org, sales_kpis, month):
    period_lock(period=month, by=hr)
    client.force_login(manager)
    page = client.get(url(org, month)).content.decode()
    assert "read-only" in page and "disabled" in page
    response = client.post(
        url(org), form(month, {sales_kpis["sales_revenue"]: ("1", "x", "0", "")})
    )
    assert response.status_code == 302
    assert Actual.objects.for_org(org).count() == 0


def test_manager_cannot_post_other_departments_cells(
    client, manager, org, sales_kpis, month, library
):
    from metrics import selectors
    from metrics.services.templates import template_apply
    from tests.factories import make_department

    hr_dept = make_department(org, code="hr", kind="management", function="hr")
    template_apply(
        template=selectors.template_list(org=org).get(code="hr_standard"),
        departments=[hr_dept],
        by=None,
    )
    other = selectors.kpi_list(org=org, department=hr_dept).get(indicator__code="leavers")
    client.force_login(manager)
    client.post(url(org), form(month, {other: ("3", "", "0", "")}))
    assert Actual.objects.for_org(org).count() == 0  # not on the manager's page: ignored


def test_entry_page_query_count_is_fixed(
    client, hr, org, sales, sales_kpis, month, library, django_assert_max_num_queries
):
    from metrics import selectors
    from metrics.services.templates import template_apply
    from tests.factories import make_department

    client.force_login(hr)
    client.get(url(org, month))
    with django_assert_max_num_queries(20) as small:
        client.get(url(org, month))
    template = selectors.template_list(org=org).get(code="sales_standard")
    for n in range(8):
        template_apply(template=template, departments=[make_department(org, code=f"s{n}")], by=None)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(org, month)).status_code == 200


def test_history_page_shows_changes_and_roles(client, role_users, org, sales_kpis, month, hr):
    revenue = sales_kpis["sales_revenue"]
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1700000")],
    )
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(revenue.pk, month.pk, "1750000", version=1)],
    )
    history = f"/o/{org.slug}/kpis/{revenue.pk}/history/"
    client.force_login(role_users["manager"])
    page = client.get(history, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # As the tables show values (separators in English, 万 in Chinese).
    assert "1,700,000" in page and "1,750,000" in page and hr.username in page
    client.force_login(role_users["outsider"])
    assert client.get(history).status_code == 404


@pytest.mark.parametrize("period_value", ["abc", "", "99999999"])
def test_bad_period_in_post_is_not_a_server_error(
    client, manager, org, sales_kpis, month, period_value
):
    client.force_login(manager)
    data = form(month, {sales_kpis["sales_revenue"]: ("1700000", "", "0", "")})
    data["period"] = period_value
    response = client.post(url(org), data)
    assert response.status_code in (200, 302, 404)
