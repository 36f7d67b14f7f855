"""Template helpers shared by every app's pages: what the template engine would render
slowly, option by option, built in Python instead (no queries of their own)."""

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html_join, json_script
from django.utils.safestring import mark_safe

register = template.Library()
SELECTED = mark_safe(" selected")  # noqa: S308 - a constant


@register.simple_tag
def select_options(field):
    """The <option>s of a bound field's single <select>, the current value selected."""
    value = field.value()
    current = "" if value is None else str(value)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (choice, SELECTED if str(choice) == current else "", label)
            for choice, label in field.field.choices
        ),
    )


class _CompactEncoder(DjangoJSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["separators"] = (",", ":")
        super().__init__(*args, **kwargs)


@register.filter
def compact_json_script(value, element_id):
    """json_script without the spaces after commas and colons: a chart's thousands of
    numbers are most of a dashboard page."""
    return json_script(value, element_id, encoder=_CompactEncoder)
