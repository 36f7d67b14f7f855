"""The period picker every page shows (issue 16 §2): what it lists and in which order.

One pure function over periods already read (`selectors.period_choices` annotates whether
each has data), so that every page orders, groups and hides periods the same way:

- grouped by fiscal year, the newest year first;
- inside a year the newest period first, a year before its last quarter before its last
  month (they end the same day: the wider one first);
- locked periods listed (marked "locked"; the page shows them read-only);
- periods that have not started yet and have no data hidden unless `show_all` (HR
  generates next year's periods well ahead; they would bury the current month); the chosen
  period is always listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from django.utils.translation import gettext as _

SHOW_ALL = "all"  # the query parameter ("?all=1") that lists the hidden periods too


@dataclass
class PeriodGroup:
    label: str  # "FY2026", translated
    fiscal_year: int
    periods: list[Any]


@dataclass
class PeriodMenu:
    groups: list[PeriodGroup] = field(default_factory=list)
    hidden: int = 0  # future periods without data left out (0 with show_all)
    show_all: bool = False


def is_hidden(period, *, today: dt.date) -> bool:
    """A period that has not started and has nothing entered: listed only on "show all"."""
    return period.start > today and not getattr(period, "has_data", False)


def period_menu(
    periods: Iterable[Any], selected=None, *, today: dt.date, show_all: bool = False
) -> PeriodMenu:
    """The picker's groups, newest first, and how many future periods it leaves out."""
    chosen = getattr(selected, "pk", None)
    shown, hidden = [], 0
    for period in periods:
        if not show_all and period.pk != chosen and is_hidden(period, today=today):
            hidden += 1
        else:
            shown.append(period)
    # Newest first: the latest end first, then the widest (earliest start) among those
    # ending the same day.
    shown.sort(key=lambda p: (p.fiscal_year, p.end, -p.start.toordinal()), reverse=True)
    groups = [
        PeriodGroup(label=_("FY%(year)s") % {"year": year}, fiscal_year=year, periods=list(items))
        for year, items in groupby(shown, key=lambda p: p.fiscal_year)
    ]
    return PeriodMenu(groups=groups, hidden=hidden, show_all=show_all)
