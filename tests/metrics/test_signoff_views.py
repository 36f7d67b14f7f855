"""The confirmers' queue page and API, the KPI grid's confirmer, and what the scorecard, KPI
page and entry grid show of values that need sign-off (issue 19 §3)."""

import pytest
from django.urls import reverse

from metrics.models import Actual, Kpi, SignOff
from metrics.services.kpis import kpi_update
from metrics.services.signoff import actuals_reject
from tests.metrics.test_signoff import enter, fin_manager, finance, member, revenue  # noqa: F401

pytestmark = pytest.mark.django_db


def queue_url(org):
    return reverse("sign_off_queue", args=[org.slug])


def api_url(org, what):
    return f"/api/v1/orgs/{org.slug}/actuals/{what}/"


@pytest.fixture
def pending(org, revenue, periods):  # noqa: F811
    """Revenue of sales in January to June, awaiting the finance managers."""
    months = [p for p in periods if p.kind == "month"][:6]
    return [enter(org, revenue, m, 100 + n) for n, m in enumerate(months)]


def test_the_queue_page_for_each_role(org, role_users, fin_manager, pending, login):  # noqa: F811
    assert login(role_users["outsider"]).get(queue_url(org)).status_code == 404
    for who in ("hr", "executive", "manager"):  # members who confirm nothing here
        page = login(role_users[who]).get(queue_url(org))
        assert page.status_code == 200
        assert page.content.decode().count('name="actuals"') == 0
    for user in (fin_manager, role_users["admin"]):
        page = login(user).get(queue_url(org))
        assert page.content.decode().count('name="actuals" value=') == len(pending)


def test_a_finance_manager_confirms_in_bulk(org, fin_manager, pending, login):  # noqa: F811
    client = login(fin_manager)
    ticked = [f"{a.pk}:{a.version}" for a in pending[:4]]
    answer = client.post(queue_url(org), {"action": "confirm", "actuals": ticked}, follow=True)
    assert "4 values confirmed" in answer.content.decode()
    statuses = dict(Actual.objects.for_org(org).values_list("pk", "status"))
    assert [statuses[a.pk] for a in pending] == ["confirmed"] * 4 + ["pending"] * 2


def test_a_rejection_needs_a_reason_and_writes_nothing_without(
    org,
    fin_manager,  # noqa: F811
    pending,
    login,
):
    client = login(fin_manager)
    ticked = [f"{pending[0].pk}:{pending[0].version}"]
    page = client.post(queue_url(org), {"action": "reject", "actuals": ticked, "reason": ""})
    assert page.status_code == 200
    assert "Give the reason" in page.content.decode()
    assert Actual.objects.for_org(org).get(pk=pending[0].pk).status == SignOff.PENDING
    client.post(queue_url(org), {"action": "reject", "actuals": ticked, "reason": "No invoice"})
    assert Actual.objects.for_org(org).get(pk=pending[0].pk).status == SignOff.REJECTED


def test_a_stale_row_is_refused_by_name(org, fin_manager, pending, login):  # noqa: F811
    client = login(fin_manager)
    page = client.post(queue_url(org), {"action": "confirm", "actuals": [f"{pending[0].pk}:99"]})
    assert "no longer awaits confirmation as shown" in page.content.decode()
    assert Actual.objects.for_org(org).get(pk=pending[0].pk).status == SignOff.PENDING


def test_the_queue_costs_the_same_queries_for_2_and_6_values(
    org,
    fin_manager,  # noqa: F811
    pending,
    login,
    django_assert_max_num_queries,
):
    client = login(fin_manager)
    client.get(queue_url(org))  # the session's first request touches it
    Actual.objects.for_org(org).filter(pk__in=[a.pk for a in pending[2:]]).update(
        status=SignOff.CONFIRMED
    )
    with django_assert_max_num_queries(12) as few:
        client.get(queue_url(org))
    Actual.objects.for_org(org).update(status=SignOff.PENDING)
    with django_assert_max_num_queries(12) as many:
        client.get(queue_url(org))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_pending_and_rejected_values_show_greyed_with_the_reason_to_the_enterer(
    org,
    revenue,  # noqa: F811
    month,
    sales,
    fin_manager,  # noqa: F811
    manager,
    hr,
    login,
):
    actual = enter(org, revenue, month, 321, by=manager)
    scorecard = reverse("department_scorecard", args=[org.slug, sales.pk]) + f"?period={month.pk}"
    kpi_page = reverse("kpi_detail", args=[org.slug, revenue.pk]) + f"?period={month.pk}"
    entries = reverse("my_entries", args=[org.slug]) + f"?period={month.pk}"
    from scorecards.rollup import recalculate

    recalculate(org=org, period_ids=[month.pk])
    for url in (scorecard, kpi_page, entries):
        assert "awaiting confirmation" in login(manager).get(url).content.decode(), url
    actuals_reject(
        org=org,
        by=fin_manager,
        membership=member(org, fin_manager),
        items=[(actual.pk, actual.version)],
        reason="Where is the <b>invoice</b>?",
    )
    mine = login(manager).get(entries).content.decode()
    assert "Where is the &lt;b&gt;invoice&lt;/b&gt;?" in mine
    assert (
        "Where is the" in login(manager).get(reverse("org_home", args=[org.slug])).content.decode()
    )
    # others see that it was rejected, on the scorecard, not the reason
    theirs = login(hr).get(scorecard).content.decode()
    assert "rejected" in theirs and "invoice" not in theirs.split("Value history")[0]


def test_hr_names_the_confirmer_in_the_kpi_grid(org, sales_kpis, sales, finance, hr, login):  # noqa: F811
    kpi = sales_kpis["sales_revenue"]
    url = reverse("kpi_grid", args=[org.slug, sales.pk])
    page = login(hr).get(url)
    assert f'value="dept:{finance.pk}"' in page.content.decode()
    data = {}
    for k in sales_kpis.values():
        p = f"kpi-{k.pk}-"
        data.update(
            {
                p + "weight": str(k.weight),
                p + "target": "" if k.target is None else str(k.target),
                p + "threshold": "" if k.threshold is None else str(k.threshold),
                p + "target_max": "" if k.target_max is None else str(k.target_max),
                p + "cap": str(k.cap),
                p + "target_period": k.target_period,
                p + "is_active": "on" if k.is_active else "",
            }
        )
    data[f"kpi-{kpi.pk}-confirmer"] = f"dept:{finance.pk}"
    login(hr).post(url, data)
    assert Kpi.objects.for_org(org).get(pk=kpi.pk).confirm_department == finance
    data[f"kpi-{kpi.pk}-confirmer"] = "role:executive"
    login(hr).post(url, data)
    saved = Kpi.objects.for_org(org).get(pk=kpi.pk)
    assert (saved.confirm_role, saved.confirm_department) == ("executive", None)


def test_the_api_queue_confirm_and_reject(org, fin_manager, pending, api, role_users):  # noqa: F811
    client = api(fin_manager)
    listed = client.get(api_url(org, "pending")).json()
    assert [r["id"] for r in listed["results"]] == [a.pk for a in reversed(pending)]
    assert listed["results"][0]["status"] == "pending"
    items = [{"id": a.pk, "version": a.version} for a in pending[:2]]
    assert client.post(api_url(org, "confirm"), {"actuals": items}, format="json").json() == {
        "done": 2
    }
    refused = client.post(api_url(org, "reject"), {"actuals": items[:1]}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    again = client.post(api_url(org, "confirm"), {"actuals": items[:1]}, format="json")
    assert again.status_code == 400 and "no longer awaits" in again.json()["actuals"][0]
    rest = [{"id": a.pk, "version": a.version} for a in pending[2:3]]
    rejected = client.post(
        api_url(org, "reject"), {"actuals": rest, "reason": "Check it"}, format="json"
    )
    assert rejected.json() == {"done": 1}
    actual_url = f"/api/v1/orgs/{org.slug}/actuals/{pending[2].pk}/"
    shown = api(role_users["hr"]).get(actual_url).json()
    assert (shown["status"], shown["review_reason"], shown["counted_value"]) == (
        "rejected",
        "Check it",
        None,
    )
    # a member who may not confirm them: 400 naming the value, nothing done
    hr_try = api(role_users["hr"]).post(
        api_url(org, "confirm"), {"actuals": [{"id": pending[4].pk, "version": 1}]}, format="json"
    )
    assert hr_try.status_code == 400 and "may not confirm" in hr_try.json()["actuals"][0]
    assert api(role_users["hr"]).get(api_url(org, "pending")).json()["results"] == []
    # another organization's admin: 404
    assert api(role_users["outsider"]).get(api_url(org, "pending")).status_code == 404
    outsider = api(role_users["outsider"]).post(
        api_url(org, "confirm"), {"actuals": [{"id": pending[4].pk, "version": 1}]}, format="json"
    )
    assert outsider.status_code == 404
    assert Actual.objects.for_org(org).get(pk=pending[4].pk).status == SignOff.PENDING


def test_the_api_names_the_confirmer_of_a_kpi(org, sales_kpis, finance, api, hr, manager):  # noqa: F811
    kpi = sales_kpis["sales_revenue"]
    url = f"/api/v1/orgs/{org.slug}/kpis/{kpi.pk}/"
    answer = api(hr).patch(url, {"confirm_department": finance.pk}, format="json")
    assert answer.status_code == 200 and answer.json()["confirm_department"] == finance.pk
    both = api(hr).patch(url, {"confirm_role": "hr"}, format="json")
    assert both.status_code == 400 and "not both" in str(both.json())
    assert api(manager).patch(url, {"confirm_department": None}, format="json").status_code == 403
    kpi_update(kpi=kpi, by=None, confirm_department=None)
