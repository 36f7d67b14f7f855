"""Small template helpers of the entry and scorecard pages (no queries)."""

from decimal import Decimal

from django import template

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
