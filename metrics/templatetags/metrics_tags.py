"""Small template helpers of the entry and scorecard pages (no queries)."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from metrics import formulas

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] or None: errors and posted values keyed by KPI id."""
    if not mapping:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def plain_number(value):
    """A Decimal as typed by a person: no exponent, no trailing zeros ("1700000", "92.5")."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    text = format(value.normalize(), "f")
    return text


@register.simple_tag
def posted(post, prefix, key, default=""):
    """The value the user typed (after a refused save) or the saved one."""
    if post:
        return post.get(f"{prefix}-{key}", default)
    return default


@register.filter
def signed(value, places=1):
    """A change with its sign and one decimal: "+11.9", "-3.0", "0.0"."""
    if value is None or value == "":
        return ""
    value = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(places)))
    return f"+{value}" if value > 0 else f"{value}"


_UNIT_SUFFIX = {
    "percent": "%",
    "minutes": " min",
    "hours": " h",
    "days": " d",
}
_UNIT_SUFFIX_ZH = {
    "percent": "%",
    "minutes": " 分钟",
    "hours": " 小时",
    "days": " 天",
}


@register.filter
def readable(value, unit=""):
    """A number as people read it (SPEC §5): in Chinese large amounts in 万 and 亿
    (5,000,000 → 500万), in English with thousands separators; percentages and durations
    with their unit. Two decimals at most, trailing zeros dropped."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    chinese = not (get_language() or "").startswith("en")
    suffix = (_UNIT_SUFFIX_ZH if chinese else _UNIT_SUFFIX).get(unit, "")
    if chinese and unit in ("currency", "count", "") and abs(number) >= 10_000:
        for size, word in ((Decimal(100_000_000), "亿"), (Decimal(10_000), "万")):
            if abs(number) >= size:
                return f"{_trim(number / size)}{word}"
    if chinese:
        return f"{_trim(number)}{suffix}"
    whole = _trim(number)
    sign = "-" if whole.startswith("-") else ""
    digits, _, decimals = whole.lstrip("-").partition(".")
    grouped = f"{int(digits):,}"
    return f"{sign}{grouped}{'.' + decimals if decimals else ''}{suffix}"


def _trim(number: Decimal) -> str:
    text = format(number.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def spelled(formula, names):
    """A formula with indicator names for its codes (metrics.formulas.spelled)."""
    return formulas.spelled(formula or "", names or {})
