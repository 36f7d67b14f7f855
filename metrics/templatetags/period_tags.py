"""The period picker's contents (`templates/_period_picker.html`): one order, grouping and
"show all" for every page (metrics.period_menu), built in Python (no queries of its own:
the page passes `periods`, best from `selectors.period_choices`, and `period`)."""

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from ..period_menu import SHOW_ALL, period_menu

register = template.Library()
SELECTED = mark_safe(" selected")  # noqa: S308 - a constant


def period_options(menu, selected=None) -> str:
    """The <optgroup>s and <option>s of a PeriodMenu, the chosen period selected and the
    locked ones marked."""
    chosen = getattr(selected, "pk", None)
    locked = gettext("locked")
    return format_html_join(
        "",
        '<optgroup label="{}">{}</optgroup>',
        (
            (
                group.label,
                format_html_join(
                    "",
                    '<option value="{}"{}>{}{}</option>',
                    (
                        (
                            p.pk,
                            SELECTED if p.pk == chosen else "",
                            p.label,
                            f" ({locked})" if p.is_locked else "",
                        )
                        for p in group.periods
                    ),
                ),
            )
            for group in menu.groups
        ),
    )


@register.simple_tag(takes_context=True)
def period_picker(context, periods=None, selected=None):
    """What the picker shows: its options, how many future periods it hides, the link
    that shows them, and the page's other query parameters (kept when the period
    changes: the dashboard's filters)."""
    request = context.get("request")
    query = request.GET if request is not None else QueryDict()
    periods = context.get("periods", ()) if periods is None else periods
    selected = context.get("period") if selected is None else selected
    show_all = query.get(SHOW_ALL) == "1"
    menu = period_menu(periods or (), selected, today=timezone.localdate(), show_all=show_all)
    keep = [(k, v) for k in query for v in query.getlist(k) if k not in ("period", SHOW_ALL)]
    chosen = [("period", selected.pk)] if selected is not None else []
    all_query = urlencode([*keep, *chosen, (SHOW_ALL, "1")])
    return {
        "options": period_options(menu, selected),
        "hidden": menu.hidden,
        "show_all": show_all,
        "show_all_url": format_html("?{}", all_query),
        "keep": keep,
    }
