"""Numbers as people type them (issue 16 §5): 万/亿, full-width digits and punctuation,
thousands separators, currency signs, a percent sign where the unit implies it, every
minus sign; and each indicator's own bounds. One parser (perfhub.numbers.read_number, then
metrics.values.parse_value for the unit) serves the entry grid, the API and the upload:
the page, API and upload tests below go through it end to end."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from metrics.values import ValueRefused, parse_value, value_bounds
from perfhub.numbers import NumberRefused, read_number


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- syntax: perfhub.numbers.read_number ---------------------------------------------------

# fmt: off
ACCEPTED = [
    ("120万", D(1200000)),
    ("1.2亿", D(120000000)),
    ("3.25万", D(32500)),
    ("0.5亿", D(50000000)),
    ("１２０，０００．５", D("120000.5")),  # full-width digits and punctuation
    ("１２０万", D(1200000)),
    ("1,200,000", D(1200000)),
    ("1，200，000", D(1200000)),  # the Chinese (full-width) comma
    ("1,234.56", D("1234.56")),
    ("¥1,200,000", D(1200000)),
    ("￥1,200,000", D(1200000)),  # full-width yen
    ("$1,200", D(1200)),
    ("€ 99.5", D("99.5")),
    ("RMB 1,200,000", D(1200000)),
    ("rmb1200", D(1200)),
    ("CNY 120万", D(1200000)),
    ("120万元", D(1200000)),
    ("1200 RMB", D(1200)),
    ("-1.5", D("-1.5")),
    ("\u22121.5", D("-1.5")),  # − U+2212
    ("－１．５", D("-1.5")),  # full-width minus
    ("-¥1,200", D(-1200)),
    ("¥-1,200", D(-1200)),
    ("\u2212120万", D(-1200000)),
    ("+5", D(5)),
    ("1 200 000", D(1200000)),
    ("1\u00a0200\u202f000", D(1200000)),
    ("  12  ", D(12)),
    ("1e3", D(1000)),
    (".5", D("0.5")),
]
# fmt: on


@pytest.mark.parametrize("typed,value", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_read_number_accepts_what_people_type(typed, value):
    number = read_number(typed)
    assert number is not None
    assert number.value == value


def test_read_number_reports_the_marks_it_removed():
    assert read_number("12.5%").percent is True
    assert read_number("12.5％").percent is True
    assert read_number("12.5").percent is False
    assert read_number("¥12").currency == "¥"
    assert read_number("￥12").currency == "¥"
    assert read_number("rmb 12").currency == "RMB"
    assert read_number("12元").currency == "元"
    assert read_number("12").currency == ""


@pytest.mark.parametrize("typed", ["", "   ", "\u3000", None])
def test_nothing_typed_is_none(typed):
    assert read_number(typed) is None


def test_万_keeps_the_number_exact_and_plain():
    value = read_number("1.23456789亿").value
    assert value == D("123456789")
    assert str(value) == "123456789"  # no exponent to show back or store
    assert str(read_number("0.00001万").value) == "0.1"


# (typed, the whole message)
# fmt: off
REFUSED = [
    ("12,34", "“12,34” is ambiguous: write 12.34 with a point for decimals, or put commas only between groups of three digits (1,234,567)."),  # noqa: E501
    ("1,5", "“1,5” is ambiguous: write 1.5 with a point for decimals, or put commas only between groups of three digits (1,234,567)."),  # noqa: E501
    ("１，５", "“１，５” is ambiguous: write 1.5 with a point for decimals, or put commas only between groups of three digits (1,234,567)."),  # noqa: E501
    ("1.234,5", "“1.234,5” is ambiguous: write 1234.5 with a point for decimals, or put commas only between groups of three digits (1,234,567)."),  # noqa: E501
    ("lots", "“lots” is not a number."),
    ("--5", "“--5” is not a number."),
    ("5-", "“5-” is not a number."),
    ("万", "“万” is not a number."),
    ("¥", "“¥” is not a number."),
    ("12万万", "“12万万” is not a number: write 万 or 亿 once, after the number (1.2亿, 12000万)."),  # noqa: E501
    ("1亿2000万", "“1亿2000万” is not a number: write 万 or 亿 once, after the number (1.2亿, 12000万)."),  # noqa: E501
    ("万12", "“万12” is not a number: write 万 or 亿 once, after the number (1.2亿, 12000万)."),
    ("nan", "Enter a finite number (not NaN or infinity)."),
    ("-inf", "Enter a finite number (not NaN or infinity)."),
    ("1_000", "“1_000” is not a number."),
    ("0x10", "“0x10” is not a number."),
    ("=1+1", "“=1+1” is not a number."),
    ("10²", "“²” is not allowed in a number."),
    ("12。5", "“。” is not allowed in a number."),
]
# fmt: on


@pytest.mark.parametrize("typed,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_read_number_names_the_real_problem(typed, message):
    with pytest.raises(NumberRefused) as refused:
        read_number(typed)
    assert refused.value.message == message


def test_a_currency_amount_is_never_told_to_use_a_decimal_point():
    """The issue's example: "¥1,200,000" was refused with "use a decimal point"."""
    assert parse_value("¥1,200,000", "currency") == D(1200000)


# --- the unit: metrics.values.parse_value --------------------------------------------------


@pytest.mark.parametrize(
    "typed,unit,value",
    [
        ("12.5%", "percent", D("12.5")),
        ("−1.5", "percent", D("-1.5")),  # a decline: growth, margin, variance
        ("-1.5%", "percent", D("-1.5")),
        ("85%", "ratio", D("0.85")),  # a ratio is a fraction: 85 % is 0.85
        ("0.85", "ratio", D("0.85")),
        ("¥120万", "currency", D(1200000)),
        ("-3万", "currency", D(-30000)),
        ("1,200", "count", D(1200)),
        ("1.2万", "count", D(12000)),
        ("1,500", "minutes", D(1500)),
        (12, "count", D(12)),
        (D("-2.5"), "percent", D("-2.5")),
    ],
)
def test_parse_value_applies_the_unit(typed, unit, value):
    assert parse_value(typed, unit) == value


@pytest.mark.parametrize(
    "typed,unit,message",
    [
        (
            "12%",
            "currency",
            "A “%” sign does not fit a value in currency: enter the number alone.",
        ),
        ("12%", "count", "A “%” sign does not fit a value in count: enter the number alone."),
        (
            "¥12",
            "percent",
            "“¥” is a currency sign, but this value is in percent: enter the number alone.",
        ),
        (
            "RMB 5",
            "hours",
            "“RMB” is a currency sign, but this value is in hours: enter the number alone.",
        ),
        ("1.5", "count", "A count is a whole number."),
        ("0.5万", "count", None),  # 5000: whole, accepted (checked below)
    ],
)
def test_parse_value_refuses_marks_that_do_not_fit_the_unit(typed, unit, message):
    if message is None:
        assert parse_value(typed, unit) == D(5000)
        return
    with pytest.raises(ValueRefused) as refused:
        parse_value(typed, unit)
    assert refused.value.message == message


# --- bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit,low,high",
    [
        ("percent", D(-1000), D(1000)),
        ("count", D(0), None),
        ("minutes", D(0), None),
        ("hours", D(0), None),
        ("days", D(0), None),
        ("ratio", D(0), None),
        ("score", D(0), None),
        ("currency", None, None),
    ],
)
def test_default_bounds_per_unit(unit, low, high):
    assert value_bounds(unit) == (low, high)


def test_an_indicator_s_own_bounds_replace_the_unit_s_side_by_side():
    assert value_bounds("percent", value_min=D(-100)) == (D(-100), D(1000))
    assert value_bounds("percent", value_max=D(100)) == (D(-1000), D(100))
    assert value_bounds("count", value_min=D(-5), value_max=D(5)) == (D(-5), D(5))
    assert value_bounds("currency", value_min=D(0)) == (D(0), None)


@pytest.mark.parametrize(
    "typed,unit,bounds,name,message",
    [
        (
            "-1001",
            "percent",
            {},
            "Gross margin",
            "Gross margin must be between -1000 and 1000.",
        ),
        ("-1", "count", {}, "New customers", "New customers cannot be negative."),
        (
            "-101",
            "percent",
            {"value_min": D(-100)},
            "Revenue growth",
            "Revenue growth must be between -100 and 1000.",
        ),
        (
            "101",
            "percent",
            {"value_min": D(0), "value_max": D(100)},
            "Satisfaction",
            "Satisfaction must be between 0 and 100.",
        ),
        (
            "¥5",
            "currency",
            {"value_min": D(10)},
            "Revenue",
            "Revenue must be at least 10.",
        ),
        (
            "¥-1",
            "currency",
            {"value_min": D(0)},
            "Revenue",
            "Revenue cannot be negative.",
        ),
        (
            "1.5亿",
            "currency",
            {"value_max": D(100000000)},
            "Revenue",
            "Revenue must be at most 100000000.",
        ),
    ],
)
def test_bounds_are_checked_naming_the_indicator_and_the_bound(typed, unit, bounds, name, message):
    low, high = value_bounds(unit, **bounds)
    with pytest.raises(ValueRefused) as refused:
        parse_value(typed, unit, low=low, high=high, name=name)
    assert refused.value.message == message


def test_a_negative_percentage_within_the_bounds_is_accepted():
    low, high = value_bounds("percent")
    assert parse_value("−1.5", "percent", low=low, high=high, name="Growth") == D("-1.5")
    assert parse_value("-1000", "percent", low=low, high=high, name="Growth") == D(-1000)


def test_the_bound_is_checked_on_the_stored_value_after_万():
    low, high = value_bounds("currency", value_max=D(1000000))
    assert parse_value("100万", "currency", low=low, high=high, name="R") == D(1000000)
    with pytest.raises(ValueRefused):
        parse_value("100.01万", "currency", low=low, high=high, name="R")
