"""HR configuration pages: indicator library, templates, KPI grid, periods."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics import selectors
from metrics.models import PeriodKind, PeriodStatus
from metrics.services.indicators import indicator_create
from metrics.services.kpis import kpi_create, kpi_update
from metrics.services.library import library_install
from metrics.services.periods import period_lock, periods_generate
from metrics.services.templates import template_apply
from tests.factories import make_department

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hr", "manager", "executive", "outsider"]
CONFIGURE = {"admin", "hr"}


def _url(name, org, **kwargs):
    return reverse(name, kwargs={"slug": org.slug, **kwargs})


def _indicator(org, code, direction="higher_is_better", **fields):
    fields.setdefault("name", code)
    fields.setdefault("unit", "count")
    fields.setdefault("aggregation", "sum")
    return indicator_create(org=org, by=None, code=code, direction=direction, **fields)


def _kpis(org, department, weights, start=0):
    """KPIs of higher-is-better indicators with target 100 and threshold 0."""
    return [
        kpi_create(
            org=org,
            by=None,
            department=department,
            indicator=_indicator(org, f"ind_{start + n}"),
            weight=Decimal(w),
            target=Decimal(100),
            threshold=Decimal(0),
        )
        for n, w in enumerate(weights)
    ]


def _grid_data(kpis, **overrides):
    """The POST of the KPI grid as the page sends it, with `overrides` {"<pk>-field": value}."""
    data = {}
    for k in kpis:
        p = f"kpi-{k.pk}-"
        data.update(
            {
                p + "weight": str(k.weight),
                p + "target": "" if k.target is None else str(k.target),
                p + "threshold": "" if k.threshold is None else str(k.threshold),
                p + "target_max": "",
                p + "cap": str(k.cap),
                p + "target_period": k.target_period,
            }
        )
        if k.is_active:
            data[p + "is_active"] = "on"
    data.update({f"kpi-{key}": value for key, value in overrides.items()})
    return data


def _indicator_data(indicator, **overrides):
    data = {
        "name": indicator.name,
        "name_en": indicator.name_en,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "formula": indicator.formula,
        "perspective": indicator.perspective,
        "frequency": indicator.frequency,
        "default_target": indicator.default_target or "",
        "default_threshold": indicator.default_threshold or "",
        "default_target_max": indicator.default_target_max or "",
        "default_target_period": indicator.default_target_period,
        "description": indicator.description,
        "description_en": indicator.description_en,
    }
    data.update(overrides)
    return data


@pytest.fixture
def library(org):
    library_install(org=org)


@pytest.fixture
def objects(org, sales, library):
    indicator = selectors.indicator_list(org=org).get(code="sales_revenue")
    template = selectors.template_list(org=org).get(code="sales_standard")
    period = periods_generate(org=org, fiscal_year=2026, by=None)[0]
    return {"indicator": indicator, "template": template, "department": sales, "period": period}


# --- access -----------------------------------------------------------------------------

PAGES = [
    ("indicator_list", None),
    ("indicator_create", None),
    ("indicator_edit", "indicator"),
    ("template_list", None),
    ("template_create", None),
    ("template_edit", "template"),
    ("template_apply", "template"),
    ("kpi_grid", "department"),
    ("period_list", None),
]


@pytest.mark.parametrize("name,obj", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_role_matrix(client, role_users, org, objects, name, obj, role):
    client.force_login(role_users[role])
    kwargs = {"pk": objects[obj].pk} if obj else {}
    response = client.get(_url(name, org, **kwargs))
    expected = 404 if role == "outsider" else 200 if role in CONFIGURE else 403
    assert response.status_code == expected


POSTS = [
    ("indicator_set_active", "indicator", {"active": "0"}),
    ("kpi_add", "department", {}),
    ("period_generate", None, {"fiscal_year": "2027"}),
    ("period_lock", "period", {}),
    ("period_reopen", "period", {"reason": "x"}),
]


@pytest.mark.parametrize("name,obj,data", POSTS)
@pytest.mark.parametrize("role", ["manager", "executive", "outsider"])
def test_posts_refused_to_other_roles(client, role_users, org, objects, name, obj, data, role):
    client.force_login(role_users[role])
    kwargs = {"pk": objects[obj].pk} if obj else {}
    response = client.post(_url(name, org, **kwargs), data)
    assert response.status_code == (404 if role == "outsider" else 403)
    assert selectors.indicator_get(org=org, pk=objects["indicator"].pk).is_active
    assert not selectors.period_list(org=org, status=PeriodStatus.LOCKED).exists()
    assert not selectors.period_list(org=org).filter(fiscal_year=2027).exists()


def test_other_orgs_objects_are_404_in_own_org_urls(client, admin, org, other_org):
    library_install(org=other_org)
    foreign_indicator = selectors.indicator_list(org=other_org).first()
    foreign_template = selectors.template_list(org=other_org).first()
    foreign_department = make_department(other_org, code="x")
    client.force_login(admin)
    assert client.get(_url("indicator_edit", org, pk=foreign_indicator.pk)).status_code == 404
    assert client.get(_url("template_apply", org, pk=foreign_template.pk)).status_code == 404
    assert client.get(_url("kpi_grid", org, pk=foreign_department.pk)).status_code == 404


def test_configuration_links_shown_to_hr_only(client, hr, executive, org):
    client.force_login(hr)
    page = client.get(_url("org_home", org)).content.decode()
    assert _url("indicator_list", org) in page and _url("period_list", org) in page
    client.force_login(executive)
    page = client.get(_url("org_home", org)).content.decode()
    assert _url("indicator_list", org) not in page and _url("period_list", org) not in page


# --- indicator library ------------------------------------------------------------------

NEW_INDICATOR = {
    "code": "late_deliveries",
    "name": "延迟交付数",
    "name_en": "Late deliveries",
    "kind": "business",
    "unit": "count",
    "direction": "lower_is_better",
    "aggregation": "sum",
    "formula": "",
    "perspective": "process",
    "frequency": "month",
    "default_target": "2",
    "default_threshold": "6",
}


def test_hr_creates_indicator(client, hr, org):
    client.force_login(hr)
    response = client.post(_url("indicator_create", org), NEW_INDICATOR)
    assert response.status_code == 302
    indicator = selectors.indicator_list(org=org).get(code="late_deliveries")
    assert indicator.direction == "lower_is_better" and indicator.default_threshold == 6
    page = client.get(_url("indicator_list", org)).content.decode()
    assert "Late deliveries" in page


def test_formula_with_unknown_code_is_refused_beside_the_formula(client, hr, org, library):
    client.force_login(hr)
    data = {**NEW_INDICATOR, "aggregation": "formula", "formula": "late_ones / no_such_code"}
    response = client.post(_url("indicator_create", org), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "no_such_code" in str(errors["formula"]) and "unknown" in str(errors["formula"])
    assert 'id="id_formula_error"' in response.content.decode()
    assert not selectors.indicator_list(org=org).filter(code="late_deliveries").exists()


def test_cyclic_formula_is_refused(client, hr, org, library):
    """turnover_rate = leavers / headcount * 100; making leavers depend on it is a cycle."""
    leavers = selectors.indicator_list(org=org).get(code="leavers")
    client.force_login(hr)
    data = _indicator_data(leavers, aggregation="formula", formula="turnover_rate * 2")
    response = client.post(_url("indicator_edit", org, pk=leavers.pk), data)
    assert response.status_code == 200
    assert "itself" in str(response.context["form"].errors["formula"])
    leavers.refresh_from_db()
    assert leavers.aggregation == "sum" and leavers.formula == ""


def test_code_is_read_only_after_creation(client, hr, org):
    indicator = _indicator(org, "calls")
    client.force_login(hr)
    data = _indicator_data(indicator, code="renamed", name="Calls made")
    assert client.post(_url("indicator_edit", org, pk=indicator.pk), data).status_code == 302
    indicator.refresh_from_db()
    assert indicator.code == "calls" and indicator.name == "Calls made"


def test_retire_and_reactivate_indicator(client, hr, org):
    indicator = _indicator(org, "calls")
    client.force_login(hr)
    url = _url("indicator_set_active", org, pk=indicator.pk)
    assert client.post(url, {"active": "0"}).status_code == 302
    assert not selectors.indicator_get(org=org, pk=indicator.pk).is_active
    client.post(url, {"active": "1"})
    assert selectors.indicator_get(org=org, pk=indicator.pk).is_active


def test_indicator_list_filters_by_kind(client, hr, org):
    _indicator(org, "mgmt_only", kind="management")
    _indicator(org, "biz_only", kind="business")
    client.force_login(hr)
    page = client.get(_url("indicator_list", org) + "?kind=business").content.decode()
    assert "biz_only" in page and "mgmt_only" not in page


# --- templates --------------------------------------------------------------------------


def _template_data(items, **fields):
    data = {
        "name": "销售精简",
        "name_en": "Sales lean",
        "code": "sales_lean",
        "kind": "business",
        "function": "sales",
        "description": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, item in enumerate(items):
        for key, value in item.items():
            data[f"items-{n}-{key}"] = value
    return data


def test_template_create_then_apply_and_reapply(client, hr, org, sales, library):
    revenue = selectors.indicator_list(org=org).get(code="sales_revenue")
    satisfaction = selectors.indicator_list(org=org).get(code="customer_satisfaction")
    client.force_login(hr)
    items = [
        {"indicator": revenue.pk, "weight": "60", "target": "1000000", "threshold": "0"},
        {"indicator": satisfaction.pk, "weight": "40"},  # the indicator's default target
        {},  # an empty row is ignored
    ]
    response = client.post(_url("template_create", org), _template_data(items))
    assert response.status_code == 302
    template = selectors.template_list(org=org).get(code="sales_lean")
    assert template.items.count() == 2

    url = _url("template_apply", org, pk=template.pk)
    response = client.post(url, {"departments": [sales.pk]})
    assert response.status_code == 200  # the preview: nothing created yet
    assert not selectors.kpi_list(org=org, department=sales).exists()
    page = response.content.decode()
    assert "Creates 2 KPIs" in page and "Total weight: 0 → 100" in page
    response = client.post(url, {"departments": [sales.pk], "confirm": "1"}, follow=True)
    assert "Sales: 2 KPIs created or completed, total weight 100." in response.content.decode()
    kpis = {k.indicator.code: k for k in selectors.kpi_list(org=org, department=sales)}
    assert kpis["sales_revenue"].target == 1000000
    assert kpis["customer_satisfaction"].target == satisfaction.default_target

    kpi_update(kpi=kpis["sales_revenue"], by=hr, target=Decimal(1500000))
    response = client.post(url, {"departments": [sales.pk], "confirm": "1"}, follow=True)
    assert "Sales: no KPI created" in response.content.decode()
    assert "never overwritten" in response.content.decode()
    kpis = list(selectors.kpi_list(org=org, department=sales))
    assert len(kpis) == 2
    assert next(k for k in kpis if k.indicator_id == revenue.pk).target == 1500000


def test_template_item_error_is_shown_beside_its_cell(client, hr, org, library):
    revenue = selectors.indicator_list(org=org).get(code="sales_revenue")
    client.force_login(hr)
    items = [{"indicator": revenue.pk, "weight": "100", "target": "100", "threshold": "200"}]
    response = client.post(_url("template_create", org), _template_data(items))
    assert response.status_code == 200
    row = response.context["items"].forms[0]
    assert "below" in str(row.errors["threshold"])
    assert not selectors.template_list(org=org).filter(code="sales_lean").exists()


def test_template_edit_removes_a_deleted_item(client, hr, org, library):
    template = selectors.template_list(org=org).get(code="service_standard")
    client.force_login(hr)
    items = [
        {
            "indicator": item.indicator_id,
            "weight": str(item.weight),
            "target": "" if item.target is None else str(item.target),
            "threshold": "" if item.threshold is None else str(item.threshold),
        }
        for item in template.items.all()
    ]
    items[0]["DELETE"] = "on"
    data = _template_data(
        items, code="service_standard", **{"items-INITIAL_FORMS": str(len(items))}
    )
    response = client.post(_url("template_edit", org, pk=template.pk), data)
    assert response.status_code == 302
    template = selectors.template_get(org=org, pk=template.pk)
    assert len(template.items.all()) == len(items) - 1


# --- KPI grid ---------------------------------------------------------------------------


def test_grid_refuses_threshold_above_target_beside_the_cell(client, hr, org, sales):
    kpis = _kpis(org, sales, [60, 40])
    bad, good = kpis
    client.force_login(hr)
    data = _grid_data(
        kpis,
        **{f"{bad.pk}-threshold": "150", f"{good.pk}-target": "80"},
    )
    response = client.post(_url("kpi_grid", org, pk=sales.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    error_id = f"id_kpi-{bad.pk}-threshold_error"
    assert f'id="{error_id}"' in page and "is-invalid" in page
    assert 'value="150"' in page and 'value="80"' in page  # what was typed stays
    row = next(f for f in response.context["grid"] if f.kpi.pk == bad.pk)
    assert "below" in str(row.errors["threshold"])
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.threshold == 0 and good.target == 100  # nothing saved


def test_grid_saves_every_row(client, hr, org, sales):
    kpis = _kpis(org, sales, [60, 40])
    client.force_login(hr)
    data = _grid_data(
        kpis,
        **{
            f"{kpis[0].pk}-weight": "70",
            f"{kpis[1].pk}-weight": "30",
            f"{kpis[1].pk}-target": "90",
            f"{kpis[1].pk}-target_period": "quarter",
        },
    )
    response = client.post(_url("kpi_grid", org, pk=sales.pk), data)
    assert response.status_code == 302
    first, second = (selectors.kpi_get(org=org, pk=k.pk) for k in kpis)
    assert first.weight == 70 and second.weight == 30
    assert second.target == 90 and second.target_period == PeriodKind.QUARTER


def test_grid_can_retire_a_kpi(client, hr, org, sales):
    kpis = _kpis(org, sales, [100, 0])
    client.force_login(hr)
    data = _grid_data(kpis)
    del data[f"kpi-{kpis[1].pk}-is_active"]
    assert client.post(_url("kpi_grid", org, pk=sales.pk), data).status_code == 302
    assert not selectors.kpi_get(org=org, pk=kpis[1].pk).is_active


def test_weight_warning_when_weights_do_not_add_up_to_100(client, hr, org, sales):
    kpis = _kpis(org, sales, [60, 30])
    client.force_login(hr)
    url = _url("kpi_grid", org, pk=sales.pk)
    page = client.get(url).content.decode()
    assert "alert-warning" in page and "add up to 90," in page
    kpi_update(kpi=kpis[1], by=hr, weight=Decimal(40))
    assert "alert-warning" not in client.get(url).content.decode()


def test_inactive_kpis_do_not_count_in_the_weight_total(client, hr, org, sales):
    kpis = _kpis(org, sales, [100, 50])
    kpi_update(kpi=kpis[1], by=hr, is_active=False)
    client.force_login(hr)
    assert "alert-warning" not in client.get(_url("kpi_grid", org, pk=sales.pk)).content.decode()


def test_add_kpi_offers_unassigned_indicators_and_creates_it(client, hr, org, sales):
    assigned = _kpis(org, sales, [100])[0]
    free = _indicator(org, "calls", default_target=Decimal(50), default_threshold=Decimal(10))
    client.force_login(hr)
    response = client.get(_url("kpi_grid", org, pk=sales.pk))
    choices = dict(response.context["add_form"].fields["indicator"].choices)
    assert free.pk in choices and assigned.indicator_id not in choices
    response = client.post(_url("kpi_add", org, pk=sales.pk), {"indicator": free.pk, "weight": "0"})
    assert response.status_code == 302
    kpi = selectors.kpi_list(org=org, department=sales).get(indicator=free)
    assert kpi.target == 50 and kpi.threshold == 10  # the indicator's defaults


def test_add_kpi_refusal_is_shown_beside_the_field(client, hr, org, sales):
    indicator = _indicator(org, "calls")
    client.force_login(hr)
    data = {"indicator": indicator.pk, "weight": "20", "target": "10", "threshold": "20"}
    response = client.post(_url("kpi_add", org, pk=sales.pk), data)
    assert response.status_code == 200
    assert "below" in str(response.context["add_form"].errors["threshold"])
    assert not selectors.kpi_list(org=org, department=sales).exists()


# Every page request also sets the user and the organization for row-level security (3,
# the user twice: once to resolve the membership, once for the switcher) and pghistory's
# context (2) in the request's transaction: 5 of these are the same on every page.
KPI_GRID_QUERIES = 16


@pytest.mark.parametrize("size", [3, 30])
def test_kpi_grid_query_count_is_fixed(client, hr, org, sales, size, django_assert_max_num_queries):
    _kpis(org, sales, [1] * size)
    client.force_login(hr)
    url = _url("kpi_grid", org, pk=sales.pk)
    with django_assert_max_num_queries(KPI_GRID_QUERIES):
        response = client.get(url)
    assert len(response.context["grid"]) == size


# --- periods ----------------------------------------------------------------------------


def test_generate_fiscal_year_respects_start_month_and_is_idempotent(client, hr, org):
    org.fiscal_year_start_month = 4
    org.save()
    client.force_login(hr)
    url = _url("period_generate", org)
    assert client.post(url, {"fiscal_year": "2026"}).status_code == 302
    periods = list(selectors.period_list(org=org))
    kinds = [p.kind for p in periods]
    assert len(periods) == 17
    assert (kinds.count("month"), kinds.count("quarter"), kinds.count("year")) == (12, 4, 1)
    year = next(p for p in periods if p.kind == PeriodKind.YEAR)
    assert (year.start, year.end) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))

    assert client.post(url, {"fiscal_year": "2026"}).status_code == 302
    assert selectors.period_list(org=org).count() == 17
    page = client.get(_url("period_list", org)).content.decode()
    assert "1 Apr 2026" in page and "31 Mar 2027" in page  # unambiguous English dates


def test_generate_refuses_a_year_out_of_range(client, hr, org):
    client.force_login(hr)
    response = client.post(_url("period_generate", org), {"fiscal_year": "1999"})
    assert response.status_code == 200
    assert "fiscal_year" in response.context["generate_form"].errors
    assert not selectors.period_list(org=org).exists()


def test_lock_then_reopen_needs_a_reason(client, hr, org):
    month = periods_generate(org=org, fiscal_year=2026, by=None)[2]
    assert month.kind == PeriodKind.MONTH
    client.force_login(hr)
    assert client.post(_url("period_lock", org, pk=month.pk)).status_code == 302
    assert selectors.period_get(org=org, pk=month.pk).is_locked

    reopen = _url("period_reopen", org, pk=month.pk)
    response = client.post(reopen, {"reason": "  "})
    assert response.status_code == 200
    assert "reason" in response.context["reopen_form"].errors
    assert f'id="reason-{month.pk}_error"' in response.content.decode()
    assert selectors.period_get(org=org, pk=month.pk).is_locked

    response = client.post(reopen, {"reason": "Late invoices from the Shanghai branch"})
    assert response.status_code == 302
    assert not selectors.period_get(org=org, pk=month.pk).is_locked
    page = client.get(_url("period_list", org)).content.decode()
    assert "Late invoices from the Shanghai branch" in page and "harry-hr" in page


def test_period_page_query_count_is_fixed(client, hr, org, django_assert_max_num_queries):
    client.force_login(hr)
    url = _url("period_list", org)
    for year in (2025, 2026):
        for period in periods_generate(org=org, fiscal_year=year, by=None)[:3]:
            period_lock(period=period, by=hr)
        with django_assert_max_num_queries(8 + 5):  # + the 5 of every page (see above)
            client.get(url)


def test_template_apply_ticks_nothing_and_previews_the_weight_total_per_department(
    client, hr, org, sales, library
):
    """The bug of issue 16: a department already ticked got the template again (weights
    110). Nothing is ticked now, and the preview names each department with its total."""
    other = make_department(org, code="sales2", name="销售二部", name_en="Sales 2")
    template = selectors.template_list(org=org).get(code="sales_standard")
    revenue = selectors.indicator_list(org=org).get(code="sales_revenue")
    kpi_create(
        org=org,
        by=hr,
        department=other,
        indicator=revenue,
        weight=Decimal(10),
        target=Decimal(100),
        threshold=Decimal(0),
    )
    other_template = selectors.template_list(org=org).get(code="service_standard")
    template_apply(template=other_template, departments=[other], by=hr)
    client.force_login(hr)
    url = _url("template_apply", org, pk=template.pk)
    page = client.get(url).content.decode()
    assert " checked" not in page
    assert "meant for this template" in page

    response = client.post(url, {"departments": [sales.pk, other.pk]})
    plans = {p.department.pk: p for p in response.context["plans"]}
    assert plans[sales.pk].weight_after == 100 and not plans[sales.pk].weight_warning
    assert plans[other.pk].weight_before == 110  # 10 by hand + the service template's 100
    assert plans[other.pk].weight_warning
    assert revenue.pk not in {i.indicator_id for i in plans[other.pk].create}  # kept
    assert selectors.kpi_list(org=org, department=sales).count() == 0

    response = client.post(url, {"departments": [sales.pk, other.pk], "confirm": "1"}, follow=True)
    levels = {str(m).split(":")[0]: m.level_tag for m in response.context["messages"]}
    assert levels == {"Sales": "success", "Sales 2": "warning"}  # 2 said apart, as warned
    assert selectors.kpi_list(org=org, department=sales).count() == len(plans[sales.pk].create)
