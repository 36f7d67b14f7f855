"""Bad input through every writing API endpoint (SPEC §7 "Bad input"): each case is refused
with a 4xx naming the field and the reason, nothing is stored, never a 500.

One table: (id, method, path, body, status, field). `body` is a dict sent as JSON, or
bytes sent as they are (for JSON that Python's encoder would not write: NaN, 1e309).
`field` is the key expected in the error body (or a dotted path into a list of rows)."""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from departments.models import Department, Membership
from metrics.models import Actual, Indicator, Kpi, Period, Template
from scorecards.models import Goal
from tests.factories import enter_actuals

pytestmark = pytest.mark.django_db

ORG = "/api/v1/orgs/acme/"
BIG = 10**30


@pytest.fixture
def world(org, admin, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    enter_actuals(org, (kpi, month, "1700000"), by=admin)
    actual = Actual.objects.for_org(org).get()
    return {"kpi": kpi.pk, "period": month.pk, "actual": actual.pk, "sales": kpi.department_id}


def snapshot(org):
    """Everything a bad request could have written."""
    return (
        list(Actual.objects.for_org(org).values_list("pk", "value", "note", "version")),
        Kpi.objects.for_org(org).count(),
        list(Kpi.objects.for_org(org).values_list("pk", "weight", "target", "threshold")),
        Indicator.objects.for_org(org).count(),
        list(Department.objects.for_org(org).values_list("pk", "name", "parent_id", "code")),
        Period.objects.for_org(org).count(),
        Template.objects.for_org(org).count(),
        Goal.objects.for_org(org).count(),
        Membership.objects.for_org(org).count(),
    )


def A(**kw):  # an actual to create
    return {"kpi": "{kpi}", "period": "{period}", "value": "1800000", "note": "n", **kw}


def K(**kw):  # a KPI to create (sales has every sales KPI already: use a management one)
    return {"department": "{sales}", "indicator": "{indicator}", "weight": 10, "target": 5, **kw}


def D(**kw):
    return {"name": "New", "code": "new", "kind": "business", "function": "sales", **kw}


def I(**kw):  # noqa: E743
    return {
        "code": "new_ind",
        "name": "New",
        "unit": "count",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "kind": "business",
        "perspective": "financial",
        "frequency": "month",
        **kw,
    }


def G(**kw):
    return {"title": "Goal", "period": "{period}", "links": [{"kpi": "{kpi}", "weight": 1}], **kw}


def raw(template: str) -> bytes:
    return template.encode()


# fmt: off
CASES = [
    # --- actuals/ (create) -------------------------------------------------------------
    ("actual-nan-literal", "post", "actuals/", raw('{"kpi": {kpi}, "period": {period}, "value": NaN}'), 400, "detail"),  # noqa: E501
    ("actual-infinity-literal", "post", "actuals/", raw('{"kpi": {kpi}, "period": {period}, "value": Infinity}'), 400, "detail"),  # noqa: E501
    ("actual-1e309-number", "post", "actuals/", raw('{"kpi": {kpi}, "period": {period}, "value": 1e309}'), 400, "value"),  # noqa: E501
    ("actual-1e309-text", "post", "actuals/", A(value="1e309"), 400, "value"),
    ("actual-nan-text", "post", "actuals/", A(value="NaN"), 400, "value"),
    ("actual-inf-text", "post", "actuals/", A(value="-Infinity"), 400, "value"),
    ("actual-decimal-comma", "post", "actuals/", A(value="1,5"), 400, "value"),
    ("actual-empty-string", "post", "actuals/", A(value=""), 400, "value"),
    ("actual-spaces", "post", "actuals/", A(value="   "), 400, "value"),
    ("actual-null", "post", "actuals/", A(value=None), 400, "value"),
    ("actual-missing-value", "post", "actuals/", {"kpi": "{kpi}", "period": "{period}"}, 400, "value"),  # noqa: E501
    ("actual-list", "post", "actuals/", A(value=[1]), 400, "value"),
    ("actual-dict", "post", "actuals/", A(value={"v": 1}), 400, "value"),
    ("actual-bool", "post", "actuals/", A(value=True), 400, "value"),
    ("actual-words", "post", "actuals/", A(value="lots"), 400, "value"),
    ("actual-too-many-digits", "post", "actuals/", A(value="1" * 40), 400, "value"),
    ("actual-too-many-decimals", "post", "actuals/", A(value="1.1234567"), 400, "value"),
    ("actual-hex", "post", "actuals/", A(value="0x10"), 400, "value"),
    ("actual-percent-below-its-unit-bound", "post", "actuals/", A(kpi="{pct_kpi}", value="-1000.5"), 400, "value"),  # noqa: E501
    ("actual-kpi-text", "post", "actuals/", A(kpi="abc"), 400, "kpi"),
    ("actual-kpi-list", "post", "actuals/", A(kpi=[1]), 400, "kpi"),
    ("actual-kpi-float", "post", "actuals/", A(kpi=1.5), 400, "kpi"),
    ("actual-kpi-huge", "post", "actuals/", A(kpi=BIG), 400, "kpi"),
    ("actual-kpi-unknown", "post", "actuals/", A(kpi=999999), 400, "kpi"),
    ("actual-period-huge", "post", "actuals/", A(period=BIG), 400, "period"),
    ("actual-period-bool", "post", "actuals/", A(period=True), 400, "period"),
    ("actual-note-list", "post", "actuals/", A(note=["x"]), 400, "note"),
    ("actual-note-too-long", "post", "actuals/", A(note="x" * 2001), 400, "note"),
    ("actual-version-negative", "post", "actuals/", A(version=-1), 400, "version"),
    ("actual-version-text", "post", "actuals/", A(version="one"), 400, "version"),
    ("actual-unknown-field", "post", "actuals/", A(valeu="3"), 400, "valeu"),
    ("actual-body-list", "post", "actuals/", [A()], 400, "non_field_errors"),
    ("actual-body-text", "post", "actuals/", raw('"1800000"'), 400, "non_field_errors"),
    ("actual-body-not-json", "post", "actuals/", raw("value=3"), 400, "detail"),
    ("actual-body-truncated", "post", "actuals/", raw('{"kpi": {kpi}, "value": '), 400, "detail"),  # noqa: E501
    # --- actuals/{id}/ (update) --------------------------------------------------------
    ("update-nan", "patch", "actuals/{actual}/", raw('{"value": NaN, "version": 1}'), 400, "detail"),  # noqa: E501
    ("update-1e309", "patch", "actuals/{actual}/", raw('{"value": 1e309, "version": 1}'), 400, "value"),  # noqa: E501
    ("update-comma", "patch", "actuals/{actual}/", {"value": "1,5", "version": 1}, 400, "value"),
    ("update-empty", "patch", "actuals/{actual}/", {"value": "", "version": 1}, 400, "value"),
    ("update-dict", "patch", "actuals/{actual}/", {"value": {}, "version": 1}, 400, "value"),
    ("update-no-version", "patch", "actuals/{actual}/", {"value": "5"}, 400, "version"),
    ("update-version-float", "patch", "actuals/{actual}/", {"value": "5", "version": 1.5}, 400, "version"),  # noqa: E501
    ("update-version-huge", "patch", "actuals/{actual}/", {"value": "5", "version": BIG}, 409, "conflicts"),  # noqa: E501
    ("update-unknown-field", "patch", "actuals/{actual}/", {"value": "5", "version": 1, "kpi": 3}, 400, "kpi"),  # noqa: E501
    # --- actuals/bulk/ -----------------------------------------------------------------
    ("bulk-not-a-list", "post", "actuals/bulk/", {"actuals": A()}, 400, "actuals"),
    ("bulk-empty", "post", "actuals/bulk/", {"actuals": []}, 400, "actuals"),
    ("bulk-missing", "post", "actuals/bulk/", {}, 400, "actuals"),
    ("bulk-row-nan", "post", "actuals/bulk/", raw('{"actuals": [{"kpi": {kpi}, "period": {period}, "value": NaN}]}'), 400, "detail"),  # noqa: E501
    ("bulk-second-row-comma", "post", "actuals/bulk/", {"actuals": [A(kpi="{pct_kpi}", value="90", version=None), A(value="1,5")]}, 400, "actuals.1.value"),  # noqa: E501
    ("bulk-row-list", "post", "actuals/bulk/", {"actuals": [A(), [1]]}, 400, "actuals"),
    ("bulk-row-unknown-field", "post", "actuals/bulk/", {"actuals": [A(extra=1)]}, 400, "actuals.0.extra"),  # noqa: E501
    ("bulk-row-bool", "post", "actuals/bulk/", {"actuals": [A(value=False)]}, 400, "actuals.0.value"),  # noqa: E501
    ("bulk-duplicate-rows", "post", "actuals/bulk/", {"actuals": [A(kpi="{pct_kpi}", value="90"), A(kpi="{pct_kpi}", value="91")]}, 400, "actuals.1.kpi"),  # noqa: E501
    ("bulk-too-many", "post", "actuals/bulk/", {"actuals": [A()] * 10001}, 400, "actuals"),
    # --- kpis/ -------------------------------------------------------------------------
    ("kpi-weight-nan", "post", "kpis/", K(weight="NaN"), 400, "weight"),
    ("kpi-weight-negative", "post", "kpis/", K(weight=-1), 400, "weight"),
    ("kpi-weight-list", "post", "kpis/", K(weight=[1]), 400, "weight"),
    ("kpi-target-1e309", "post", "kpis/", raw('{"department": {sales}, "indicator": {indicator}, "weight": 1, "target": 1e309}'), 400, "target"),  # noqa: E501
    ("kpi-target-comma", "post", "kpis/", K(target="1,5"), 400, "target"),
    ("kpi-target-infinity", "post", "kpis/", K(target="Infinity"), 400, "target"),
    ("kpi-target-equals-threshold", "post", "kpis/", K(target=5, threshold=5), 400, "threshold"),  # noqa: E501
    ("kpi-department-text", "post", "kpis/", K(department="sales"), 400, "department"),
    ("kpi-department-huge", "post", "kpis/", K(department=BIG), 400, "department"),
    ("kpi-department-dict", "post", "kpis/", K(department={"id": 1}), 400, "department"),
    ("kpi-indicator-empty", "post", "kpis/", K(indicator=""), 400, "indicator"),
    ("kpi-target-period-bad", "post", "kpis/", K(target_period="week"), 400, "target_period"),
    ("kpi-active-text", "post", "kpis/", K(is_active="maybe"), 400, "is_active"),
    ("kpi-duplicate", "post", "kpis/", K(indicator="{sales_indicator}"), 400, "indicator"),
    ("kpi-unknown-field", "post", "kpis/", K(colour="red"), 400, "colour"),
    ("kpi-update-cap-text", "patch", "kpis/{kpi}/", {"cap": "high"}, 400, "cap"),
    ("kpi-update-weight-inf", "patch", "kpis/{kpi}/", {"weight": "inf"}, 400, "weight"),
    ("kpi-update-department", "patch", "kpis/{kpi}/", {"department": 1}, 400, "department"),
    # --- indicators/ -------------------------------------------------------------------
    ("indicator-code-spaces", "post", "indicators/", I(code="new ind"), 400, "code"),
    ("indicator-code-empty", "post", "indicators/", I(code=""), 400, "code"),
    ("indicator-code-taken", "post", "indicators/", I(code="sales_revenue"), 400, "code"),
    ("indicator-unit-bad", "post", "indicators/", I(unit="parsecs"), 400, "unit"),
    ("indicator-direction-bool", "post", "indicators/", I(direction=True), 400, "direction"),
    ("indicator-formula-code-injection", "post", "indicators/", I(aggregation="formula", formula="__import__('os').system('x')"), 400, "formula"),  # noqa: E501
    ("indicator-formula-unknown-code", "post", "indicators/", I(aggregation="formula", formula="nothing / 2"), 400, "formula"),  # noqa: E501
    ("indicator-formula-missing", "post", "indicators/", I(aggregation="formula"), 400, "formula"),  # noqa: E501
    ("indicator-name-too-long", "post", "indicators/", I(name="x" * 500), 400, "name"),
    ("indicator-name-list", "post", "indicators/", I(name=["x"]), 400, "name"),
    ("indicator-unknown-field", "post", "indicators/", I(owner="me"), 400, "owner"),
    # --- departments/ ------------------------------------------------------------------
    ("department-code-empty", "post", "departments/", D(code=""), 400, "code"),
    ("department-code-taken", "post", "departments/", D(code="sales"), 400, "code"),
    ("department-kind-bad", "post", "departments/", D(kind="both"), 400, "kind"),
    ("department-parent-huge", "post", "departments/", D(parent=BIG), 400, "parent"),
    ("department-parent-text", "post", "departments/", D(parent="sales"), 400, "parent"),
    ("department-weight-nan", "post", "departments/", D(weight_in_parent="NaN"), 400, "weight_in_parent"),  # noqa: E501
    ("department-managers-text", "post", "departments/", D(managers="1"), 400, "managers"),
    ("department-managers-huge", "post", "departments/", D(managers=[BIG]), 400, "managers"),
    ("department-name-empty", "post", "departments/", D(name=""), 400, "name"),
    ("department-unknown-field", "post", "departments/", D(budget=5), 400, "budget"),
    ("department-own-parent", "patch", "departments/{sales}/", {"parent": "{sales}"}, 400, "parent"),  # noqa: E501
    # --- periods/ ----------------------------------------------------------------------
    ("generate-year-text", "post", "periods/generate/", {"fiscal_year": "soon"}, 400, "fiscal_year"),  # noqa: E501
    ("generate-year-1e309", "post", "periods/generate/", raw('{"fiscal_year": 1e309}'), 400, "fiscal_year"),  # noqa: E501
    ("generate-year-far", "post", "periods/generate/", {"fiscal_year": 99999}, 400, "fiscal_year"),  # noqa: E501
    ("generate-year-float", "post", "periods/generate/", {"fiscal_year": 2026.5}, 400, "fiscal_year"),  # noqa: E501
    ("generate-unknown-field", "post", "periods/generate/", {"fiscal_year": 2027, "kind": "month"}, 400, "kind"),  # noqa: E501
    ("reopen-reason-dict", "post", "periods/{period}/reopen/", {"reason": {"a": 1}}, 400, "reason"),  # noqa: E501
    ("lock-reason-too-long", "post", "periods/{period}/lock/", {"reason": "x" * 2001}, 400, "reason"),  # noqa: E501
    # --- goals/ ------------------------------------------------------------------------
    ("goal-title-empty", "post", "goals/", G(title=""), 400, "title"),
    ("goal-links-empty", "post", "goals/", G(links=[]), 400, "links"),
    ("goal-links-text", "post", "goals/", G(links="kpi"), 400, "links"),
    ("goal-link-weight-nan", "post", "goals/", G(links=[{"kpi": "{kpi}", "weight": "NaN"}]), 400, "links.0.weight"),  # noqa: E501
    ("goal-link-kpi-huge", "post", "goals/", G(links=[{"kpi": BIG, "weight": 1}]), 400, "links.0.kpi"),  # noqa: E501
    ("goal-period-huge", "post", "goals/", G(period=BIG), 400, "period"),
    ("goal-unknown-field", "post", "goals/", G(owner=1), 400, "owner"),
    # --- members, organization, templates, recalculations ------------------------------
    # Members join by invitation (audit finding #2): the invitation endpoint's refusals.
    ("invitation-role-bad", "post", "invitations/", {"username": "zed", "role": "king"}, 400, "role"),  # noqa: E501
    ("invitation-target-empty", "post", "invitations/", {"username": "", "role": "hr"}, 400, "email"),  # noqa: E501
    ("invitation-both-targets", "post", "invitations/", {"username": "zed", "email": "z@example.com", "role": "hr"}, 400, "email"),  # noqa: E501
    ("invitation-email-bad", "post", "invitations/", {"role": "hr", "email": "no"}, 400, "email"),  # noqa: E501
    ("invitation-unknown-field", "post", "invitations/", {"username": "zed", "role": "hr", "password": "x"}, 400, "password"),  # noqa: E501
    ("org-amber-nan", "patch", "", {"amber_line": "NaN"}, 400, "amber_line"),
    ("org-weight-text", "patch", "", {"management_weight": "half"}, 400, "management_weight"),
    ("org-month-13", "patch", "", {"fiscal_year_start_month": 13}, 400, "fiscal_year_start_month"),  # noqa: E501
    ("org-unknown-field", "patch", "", {"slug": "other"}, 400, "slug"),
    ("template-items-text", "post", "templates/", {"code": "t", "name": "T", "items": "all"}, 400, "items"),  # noqa: E501
    ("template-item-weight-nan", "post", "templates/", {"code": "t", "name": "T", "items": [{"indicator": "{indicator}", "weight": "NaN"}]}, 400, "items.0.weight"),  # noqa: E501
    ("apply-departments-huge", "post", "templates/{template}/apply/", {"departments": [BIG]}, 400, "departments"),  # noqa: E501
    ("recalculate-period-text", "post", "recalculations/", {"period": "march"}, 400, "period"),
]
# fmt: on


def _fill(value, ids):
    """Put the ids in: "{kpi}" becomes the KPI's id (an int)."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids.get(value[1:-1], value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _fill_text(text, ids):
    for key, id_ in ids.items():
        text = text.replace("{" + key + "}", str(id_))
    return text


def _dig(body, path):
    node = body
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            assert part in node, (path, body)
            node = node[part]
    return node


@pytest.fixture
def ids(org, world, sales_kpis):
    from metrics import selectors

    indicator = selectors.indicator_list(org=org).get(code="employee_satisfaction")
    pct = next(
        k for k in sales_kpis.values() if k.indicator.unit == "percent" and k.indicator.typed
    )  # noqa: E501
    return {
        **world,
        "indicator": indicator.pk,
        "sales_indicator": sales_kpis["sales_revenue"].indicator_id,
        "pct_kpi": pct.pk,
        "template": selectors.template_list(org=org).first().pk,
    }


@pytest.mark.parametrize(
    "method,path,body,status,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    org, admin, ids, method, path, body, status, field
):
    client = APIClient()
    client.force_authenticate(admin)
    url = ORG + _fill_text(path, ids)
    before = snapshot(org)
    if isinstance(body, bytes):
        data = _fill_text(body.decode(), ids).encode()
        response = getattr(client, method)(url, data, content_type="application/json")
    else:
        response = getattr(client, method)(url, _fill(body, ids), format="json")
    assert response.status_code == status, response.content[:500]
    errors = response.json()
    message = _dig(errors, field)
    text = json.dumps(message, ensure_ascii=False)
    assert len(text) > 6, errors  # a real message, not an empty list
    assert snapshot(org) == before


def test_case_count():
    """The number of bad inputs tried through the API (reported in CHANGELOG)."""
    assert len(CASES) >= 120


def test_oversized_json_body_is_refused_with_413(org, admin, ids, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = APIClient()
    client.force_authenticate(admin)
    body = json.dumps(
        {
            "actuals": [
                {"kpi": ids["kpi"], "period": ids["period"], "value": "1", "note": "x" * 100}
            ]
            * 200
        }
    )  # noqa: E501
    before = snapshot(org)
    response = client.post(ORG + "actuals/bulk/", body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert snapshot(org) == before


def test_value_just_inside_the_limits_is_accepted(org, admin, ids):
    client = APIClient()
    client.force_authenticate(admin)
    response = client.patch(
        ORG + f"actuals/{ids['actual']}/",
        {"value": "99999999999999.123456", "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Actual.objects.for_org(org).get().value == Decimal("99999999999999.123456")
