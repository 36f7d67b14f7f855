"""Numbers as people read them, in both languages (SPEC §5)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from metrics.models import Actual
from metrics.templatetags.metrics_tags import readable
from metrics.values import ValueRefused, parse_number
from perfhub import numbers
from tests.metrics.test_entry_views import form as entry_form


@pytest.mark.parametrize(
    "value,unit,zh,en",
    [
        (Decimal(5000000), "currency", "500万", "5,000,000"),
        (Decimal("1666666.67"), "currency", "166.67万", "1,666,666.67"),
        (Decimal(320000000), "currency", "3.2亿", "320,000,000"),
        (Decimal(9999), "currency", "9999", "9,999"),
        (Decimal("-25000"), "currency", "-2.5万", "-25,000"),
        (Decimal("85.5"), "percent", "85.5%", "85.5%"),
        (Decimal("12"), "minutes", "12 分钟", "12 min"),
        (Decimal("26.347273"), "hours", "26.35 小时", "26.35 h"),
        (Decimal("3"), "days", "3 天", "3 d"),
        (Decimal("0.25"), "ratio", "0.25", "0.25"),
        (None, "currency", "—", "—"),
    ],
)
def test_readable_numbers(value, unit, zh, en):
    with translation.override("zh-hans"):
        assert readable(value, unit) == zh
    with translation.override("en"):
        assert readable(value, unit) == en


# --- Reading typed numbers (metrics/values.py, perfhub/numbers.py) ---------------------------


@pytest.mark.parametrize(
    "typed,value",
    [
        ("1700000", Decimal(1700000)),
        ("1,700,000.5", Decimal("1700000.5")),
        ("１７０００００", Decimal(1700000)),  # full-width digits (a Chinese input method)
        ("１，７００，０００．５", Decimal("1700000.5")),  # full-width separators
        ("－５", Decimal(-5)),
        ("＋５", Decimal(5)),
        ("\u22125", Decimal(-5)),  # the minus sign U+2212
        ("85.5%", Decimal("85.5")),
        ("85.5％", Decimal("85.5")),
        ("1\u00a0700\u3000000", Decimal(1700000)),  # no-break and ideographic spaces
        (" 12 ", Decimal(12)),
        ("", None),
    ],
)
def test_typed_numbers_that_are_accepted(typed, value):
    assert parse_number(typed) == value


@pytest.mark.parametrize(
    "typed,char",
    [
        ("10²", "²"),  # superscript: NFKC would read 102
        ("2³", "³"),
        ("⑤", "⑤"),  # circled digit
        ("𝟏𝟐", "𝟏"),  # mathematical bold digits
        ("١٢", "١"),  # Arabic-Indic digits, which Decimal() reads
        ("१२", "१"),  # Devanagari digits
        ("½", "½"),
        ("1⁄2", "⁄"),
        ("５個", "個"),
        ("12\u200b3", "\u200b"),  # zero-width space
        ("1٫5", "٫"),  # Arabic decimal separator
    ],
)
def test_lookalike_digits_are_refused_naming_the_character(typed, char):
    with pytest.raises(ValueRefused) as refused:
        parse_number(typed)
    assert refused.value.message == f"“{char}” is not allowed in a number."


@pytest.mark.parametrize("typed", ["lots", "1,5", "nan", "1_000", "0x10"])
def test_other_text_is_still_not_a_number(typed):
    with pytest.raises(ValueRefused):
        parse_number(typed)


@pytest.mark.django_db
def test_api_refuses_a_superscript_in_an_actual_and_in_a_kpi_target(
    org, hr, admin, api, sales_kpis, month
):
    kpi = sales_kpis["sales_revenue"]
    response = api(hr).post(
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": kpi.pk, "period": month.pk, "value": "10²", "note": "n"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"value": ["“²” is not allowed in a number."]}
    assert not Actual.objects.for_org(org).exists()
    response = api(admin).patch(
        f"/api/v1/orgs/{org.slug}/kpis/{kpi.pk}/",
        {"target": "𝟏𝟐"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"target": ["“𝟏” is not allowed in a number."]}


@pytest.mark.django_db
def test_upload_refuses_a_circled_digit_naming_it(org, hr, login, sales_kpis, month):
    kpi = sales_kpis["new_customers"]
    content = (f"period_id,kpi_id,value,note,version\r\n{month.pk},{kpi.pk},⑤,n,\r\n").encode()
    response = login(hr).post(
        reverse("entries_upload", kwargs={"slug": org.slug}),
        {"file": SimpleUploadedFile("a.csv", content)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert "Nothing was saved" in page, page[-2000:]
    assert "“⑤” is not allowed in a number." in page
    assert not Actual.objects.for_org(org).exists()


@pytest.mark.parametrize("field", [numbers.DecimalField, numbers.IntegerField])
def test_page_number_fields_refuse_lookalike_digits(field):
    with pytest.raises(ValidationError) as refused:
        field().clean("𝟏𝟐")
    assert refused.value.messages == ["“𝟏” is not allowed in a number."]
    assert field().clean("１２") == 12  # full-width digits as before


@pytest.mark.django_db
def test_entry_grid_refuses_a_superscript_beside_the_cell(org, manager, login, sales_kpis, month):
    kpi = sales_kpis["customer_satisfaction"]
    response = login(manager).post(
        reverse("my_entries", kwargs={"slug": org.slug}),
        entry_form(month, {kpi: ("9²", "", "0", "")}),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "“²” is not allowed in a number." in response.content.decode()
    assert not Actual.objects.for_org(org).exists()
