"""Each indicator's bounds on values, and its default target settings checked when it is
saved (issue 16 §5, §6): through the service, the indicator page and the API; then the
bounds at entry through the grid, the API and the upload."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.models import Actual, Indicator
from metrics.services.indicators import indicator_create, indicator_update
from metrics.services.kpis import kpi_create
from tests.metrics.test_entry_views import form as entry_form

pytestmark = pytest.mark.django_db


def _indicator(org, code="growth", **fields):
    base = {
        "name": "营收增长率",
        "name_en": "Revenue growth",
        "unit": "percent",
        "direction": "higher_is_better",
        "aggregation": "last",
    }
    return indicator_create(org=org, by=None, code=code, **{**base, **fields})


def _errors(call, *args, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        call(*args, **kwargs)
    return refused.value.message_dict


# --- defaults checked when the indicator is saved ------------------------------------------


@pytest.mark.parametrize(
    "fields,field,message",
    [
        (
            {"default_target": D(10), "default_threshold": D(20)},
            "default_threshold",
            "Default threshold: For a higher-is-better KPI the threshold (the value that scores "
            "0) must be below the target.",
        ),
        (
            {"direction": "lower_is_better", "default_target": D(10), "default_threshold": D(5)},
            "default_threshold",
            "Default threshold: For a lower-is-better KPI the threshold (the value that scores "
            "0) must be above the target.",
        ),
        (
            {"default_target": D(10), "default_threshold": D(10)},
            "default_threshold",
            "Default threshold: The threshold (the value that scores 0) must differ from the "
            "target.",
        ),
        (
            {"direction": "within_range", "default_target": D(10), "default_threshold": D(2)},
            "default_target_max",
            "Default upper target: Set the upper end of the target range.",
        ),
        (
            {"default_target": None, "default_threshold": D(5)},
            "default_target",
            "Default target: set one, or clear the other defaults.",
        ),
        (
            {"default_target": D(5000), "default_threshold": D(0)},
            "default_target",
            "Default target must be between -1000 and 1000.",
        ),
        (
            {"value_min": D(10), "value_max": D(5)},
            "value_max",
            "The highest value allowed must not be below the lowest (10).",
        ),
    ],
    ids=[
        "higher-threshold-above",
        "lower-threshold-below",
        "threshold-equals-target",
        "range-without-upper-end",
        "threshold-without-target",
        "target-outside-bounds",
        "bounds-reversed",
    ],
)
def test_indicator_defaults_are_checked_on_create_and_on_update(org, fields, field, message):
    assert _errors(_indicator, org, **fields) == {field: [message]}
    assert not Indicator.objects.for_org(org).exists()
    indicator = _indicator(org, default_target=D(10), default_threshold=D(0))
    assert _errors(indicator_update, indicator=indicator, by=None, **fields) == {field: [message]}
    indicator.refresh_from_db()
    assert (indicator.default_target, indicator.default_threshold) == (D(10), D(0))


def test_valid_defaults_and_bounds_are_saved(org):
    indicator = _indicator(
        org, default_target=D(5), default_threshold=D(-5), value_min=D(-100), value_max=D(500)
    )
    indicator.refresh_from_db()
    assert indicator.bounds == (D(-100), D(500))
    assert (indicator.default_target, indicator.default_threshold) == (D(5), D(-5))
    assert _indicator(org, code="plain").bounds == (D(-1000), D(1000))  # the unit's


def test_indicator_page_shows_the_default_error_beside_the_field(client, org, hr):
    client.force_login(hr)
    data = {
        "code": "growth",
        "name": "增长",
        "name_en": "Growth",
        "kind": "",
        "unit": "percent",
        "direction": "higher_is_better",
        "aggregation": "last",
        "formula": "",
        "perspective": "financial",
        "frequency": "month",
        "default_target": "10",
        "default_threshold": "20",
        "default_target_max": "",
        "default_target_period": "month",
        "value_min": "−100",
        "value_max": "",
        "description": "",
        "description_en": "",
    }
    url = reverse("indicator_create", kwargs={"slug": org.slug})
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Default threshold: For a higher-is-better KPI" in page
    assert not Indicator.objects.for_org(org).exists()
    response = client.post(url, {**data, "default_threshold": "−5"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    saved = Indicator.objects.for_org(org).get(code="growth")
    assert (saved.value_min, saved.default_threshold) == (D(-100), D(-5))


def test_api_sets_bounds_and_refuses_bad_defaults_by_field(api, org, hr):
    url = f"/api/v1/orgs/{org.slug}/indicators/"
    body = {
        "code": "margin",
        "name": "毛利率",
        "unit": "percent",
        "direction": "higher_is_better",
        "aggregation": "last",
        "perspective": "financial",
        "default_target": "30",
        "default_threshold": "40",
    }
    response = api(hr).post(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert list(response.json()) == ["default_threshold"]
    assert response.json()["default_threshold"][0].startswith("Default threshold: ")
    response = api(hr).post(
        url,
        {**body, "default_threshold": "-10", "value_min": "-50", "value_max": "100"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["value_min"] == "-50.000000"
    assert response.json()["value_max"] == "100.000000"


# --- the bounds at entry -------------------------------------------------------------------


@pytest.fixture
def growth(org, sales, month):
    indicator = _indicator(org, value_min=D(-100))
    return kpi_create(
        org=org,
        by=None,
        department=sales,
        indicator=indicator,
        weight=D(0),  # tracked: no note needed for a low value
    )


def test_entry_grid_accepts_a_decline_and_refuses_below_the_indicator_s_bound(
    org, manager, login, growth, month
):
    url = reverse("my_entries", kwargs={"slug": org.slug})
    client = login(manager)
    response = client.post(
        url, entry_form(month, {growth: ("−150", "", "0", "")}), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Revenue growth must be between -100 and 1000." in response.content.decode()
    assert not Actual.objects.for_org(org).exists()
    response = client.post(url, entry_form(month, {growth: ("−1.5", "", "0", "")}))
    assert response.status_code == 302
    assert Actual.objects.for_org(org).get(kpi=growth).value == D("-1.5")


def test_api_and_upload_check_the_same_bound(org, hr, api, login, growth, month):
    response = api(hr).post(
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": growth.pk, "period": month.pk, "value": "-101%"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"value": ["Revenue growth must be between -100 and 1000."]}
    content = f"period_id,kpi_id,value,note,version\r\n{month.pk},{growth.pk},－１０１,,\r\n"
    response = login(hr).post(
        reverse("entries_upload", kwargs={"slug": org.slug}),
        {"file": SimpleUploadedFile("a.csv", content.encode())},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Revenue growth must be between -100 and 1000." in response.content.decode()
    assert not Actual.objects.for_org(org).exists()
