"""HR's completeness view: who entered what, who is late."""

import datetime as dt

import pytest

from metrics.selectors import completeness
from metrics.services.actuals import ActualInput, actuals_save

pytestmark = pytest.mark.django_db


def test_completeness_counts_missing_and_late(org, hr, manager, sales, sales_kpis, month):
    actuals_save(
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "1700000")],
    )
    data = completeness(org=org, period=month, today=month.due_date + dt.timedelta(days=1))
    (row,) = data["rows"]
    typed = [k for k in sales_kpis.values() if k.indicator.typed]
    assert row.department == sales and len(row.expected) == len(typed)
    assert row.entered == 1 and sales_kpis["sales_revenue"] not in row.missing
    assert row.managers == [manager]
    assert data["late"] is True
    assert completeness(org=org, period=month, today=month.due_date)["late"] is False


@pytest.mark.parametrize(
    "role,expected",
    [("admin", 200), ("hr", 200), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_completeness_page_roles(client, role_users, org, sales_kpis, month, role, expected):
    client.force_login(role_users[role])
    response = client.get(f"/o/{org.slug}/entries/completeness/?period={month.pk}")
    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert "mailto:" not in page  # a real reminder (reviews/services/reminders.py)
        assert f'action="/o/{org.slug}/reminders/"' in page


def test_completeness_query_count_fixed(
    client, hr, org, sales_kpis, month, library, django_assert_max_num_queries
):
    from metrics import selectors
    from metrics.services.templates import template_apply
    from tests.factories import make_department

    client.force_login(hr)
    url = f"/o/{org.slug}/entries/completeness/?period={month.pk}"
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    template = selectors.template_list(org=org).get(code="service_standard")
    for n in range(10):
        template_apply(template=template, departments=[make_department(org, code=f"c{n}")], by=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(url).context["rows"]) == 11
