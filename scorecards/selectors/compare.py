"""Year-on-year (同比) and period-on-period (环比) comparisons of stored results (issue 20).

One place answers "what was this value then?" for every level the product shows: a KPI
line (its actual and its score), a department's score (own and with sub-departments) and
the organization's indices. "Then" is the period of the same kind that starts 12 months
earlier (`yoy`: March 2026 → March 2025, Q1 → Q1, FY2026 → FY2025) or the one just before
(`pop`: March → February, January → December of the year before, Q1 → Q4, a year → the
year before). Both are found by kind and start date, so a missing period (a fiscal year
never generated) is a missing comparison, never the period before it.

Reads only the tables the roll-up already computed (OrgScorecard, Scorecard,
ScorecardLine), through the organization-scoped managers, one query per level asked for,
whatever the number of periods, departments or lines: the comparison period is joined on
(kind, start), never looked up one by one. A value with nothing to compare with has a
`Delta` whose `value` is None (shown as "—" with the reason, served as null), never 0."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q

from ..models import OrgScorecard, Scorecard, ScorecardLine

YOY = "yoy"
POP = "pop"
COMPARES = (YOY, POP)
DEFAULT_COMPARE = POP  # what the dashboard always showed ("vs previous")

# Months between a period's start and its comparison's, per comparison and period kind.
_MONTHS_BACK = {
    YOY: {"month": 12, "quarter": 12, "year": 12},
    POP: {"month": 1, "quarter": 3, "year": 12},
}

INDICES = ("company_index", "management_index", "business_index", "balance_gap")
CARD_SCORES = ("score", "rolled_up_score")
PERCENT_PLACES = Decimal("0.1")


def compare_choice(value: Any) -> str:
    """The comparison a request asks for (`?compare=`): `yoy` or `pop`, anything else the
    default (`pop`)."""
    return value if value in COMPARES else DEFAULT_COMPARE


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (period starts are firsts of months)."""
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1)


def comparison_start(period, compare: str) -> dt.date:
    """The start of the period of the same kind that `period` is compared with."""
    return months_before(period.start, _MONTHS_BACK[compare][period.kind])


@dataclass(frozen=True)
class Delta:
    """A value now against the same value then. `value` is the value then (None: there
    is none, which is not 0); `change` = now − then (None when either is missing);
    `percent` = change / |then| × 100, only for actuals (`with_percent`) and when then ≠ 0."""

    now: Decimal | None
    value: Decimal | None
    with_percent: bool = False

    @property
    def missing(self) -> bool:
        return self.value is None

    @property
    def change(self) -> Decimal | None:
        if self.now is None or self.value is None:
            return None
        return self.now - self.value

    @property
    def percent(self) -> Decimal | None:
        change = self.change
        if not self.with_percent or change is None or not self.value:
            return None
        return (change / abs(self.value) * 100).quantize(PERCENT_PLACES)

    @property
    def direction(self) -> str:
        change = self.change
        if change is None or change == 0:
            return "flat"
        return "up" if change > 0 else "down"


@dataclass
class Comparison:
    """What `comparison` read: the stored values of the comparison periods, keyed by the
    comparison period's (kind, start). Ask it with `org_deltas`, `card_deltas`, `line_deltas`."""

    compare: str
    org_rows: dict[tuple[str, dt.date], OrgScorecard] = field(default_factory=dict)
    cards: dict[tuple[int, str, dt.date], tuple] = field(default_factory=dict)
    lines: dict[tuple[int, int, str, dt.date], tuple] = field(default_factory=dict)

    def _key(self, period) -> tuple[str, dt.date]:
        return (period.kind, comparison_start(period, self.compare))

    def org_row(self, period) -> OrgScorecard | None:
        """The organization scorecard of the comparison period (its period loaded)."""
        return self.org_rows.get(self._key(period))

    def org_deltas(self, period, current) -> dict[str, Delta]:
        """Each index of `current` (the period's OrgScorecard, or None) against then."""
        before = self.org_row(period)
        return {
            name: Delta(getattr(current, name, None), getattr(before, name) if before else None)
            for name in INDICES
        }

    def card_deltas(self, card) -> dict[str, Delta]:
        """A department scorecard's own and rolled-up score against then."""
        before = self.cards.get((card.department_id, *self._key(card.period)))
        return {
            name: Delta(getattr(card, name), before[i] if before else None)
            for i, name in enumerate(CARD_SCORES)
        }

    def actual_then(self, *, department_id: int, kpi_id: int, period, now) -> Delta:
        """A KPI's actual in `period` (`now`, None when it has none) against then, with the
        % change: for a period whose own line may be missing (the KPI page's months)."""
        before = self.lines.get((department_id, kpi_id, *self._key(period)))
        return Delta(now, before[0] if before else None, with_percent=True)

    def line_deltas(self, line, period) -> dict[str, Delta]:
        """A line's actual (with the % change) and score against then. A line not scored
        then has no score to compare with."""
        before = self.lines.get((line.department_id, line.kpi_id, *self._key(period)))
        actual, score, scored = before if before else (None, None, False)
        return {
            "actual": Delta(line.actual, actual, with_percent=True),
            "score": Delta(line.score if line.scored else None, score if scored else None),
        }


def _periods_q(periods, compare: str, prefix: str = "period__") -> Q:
    """Rows of the comparison periods of `periods`, joined on (kind, start)."""
    pairs = sorted({(p.kind, comparison_start(p, compare)) for p in periods})
    return reduce(or_, (Q(**{f"{prefix}kind": k, f"{prefix}start": s}) for k, s in pairs))


def comparison(
    *,
    org,
    periods,
    compare: str,
    org_index: bool = False,
    department_ids=None,
    cards: bool = False,
    lines: bool = False,
) -> Comparison:
    """The stored values the `periods` are compared with (`compare`: `yoy` or `pop`): the
    organization's indices (`org_index`), the departments' scores (`cards`) and their KPI
    lines (`lines`), the last two of `department_ids` (None: every department). One query
    per level asked for, none for no period: for the dashboard, the scorecard and review
    pages, the home page and the API."""
    result = Comparison(compare=compare)
    periods = list({p.pk: p for p in periods if p is not None}.values())
    if not periods:
        return result
    where = _periods_q(periods, compare)
    if org_index:
        for row in OrgScorecard.objects.for_org(org).filter(where).select_related("period"):
            result.org_rows[(row.period.kind, row.period.start)] = row
    if cards:
        qs = Scorecard.objects.for_org(org).filter(where)
        if department_ids is not None:
            qs = qs.filter(department_id__in=department_ids)
        for department_id, kind, start, score, rolled_up in qs.values_list(
            "department_id", "period__kind", "period__start", "score", "rolled_up_score"
        ):
            result.cards[(department_id, kind, start)] = (score, rolled_up)
    if lines:
        qs = ScorecardLine.objects.for_org(org).filter(where)
        if department_ids is not None:
            qs = qs.filter(department_id__in=department_ids)
        for department_id, kpi_id, kind, start, actual, score, scored in qs.values_list(
            "department_id", "kpi_id", "period__kind", "period__start", "actual", "score", "scored"
        ):
            result.lines[(department_id, kpi_id, kind, start)] = (actual, score, scored)
    return result


def index_comparisons(
    *, org, period, current, cards=(), compares=COMPARES
) -> dict[str, dict[str, Any]]:
    """The organization's indices of `period` (`current`: its OrgScorecard, or None) against
    then, per comparison: {compare: {"previous": the OrgScorecard compared with (period
    loaded) or None, "indices": {name: Delta}}}; each department scorecard of `cards` (of
    `period`) gets its `compare` dict as `attach_comparisons` gives it (lines aside). Two
    queries per comparison (one without cards): for the dashboard page and API."""
    cards = list(cards)
    for card in cards:
        card.compare = {}
    result = {}
    for compare in compares:
        found = comparison(
            org=org,
            periods=[period],
            compare=compare,
            org_index=True,
            department_ids={c.department_id for c in cards},
            cards=bool(cards),
        )
        result[compare] = {
            "previous": found.org_row(period),
            "indices": found.org_deltas(period, current),
        }
        for card in cards:
            card.compare[compare] = found.card_deltas(card)
    return result


def index_trend_year_before(*, org, trend) -> list[Decimal | None]:
    """For each organization scorecard of the dashboard's trend (oldest first), the company
    index of the same period a year before (同比), None where there is none: one query."""
    found = comparison(org=org, periods=[o.period for o in trend], compare=YOY, org_index=True)
    return [
        row.company_index if (row := found.org_row(o.period)) is not None else None for o in trend
    ]


def kpi_year_on_year(*, org, kpi, trend) -> list[Delta]:
    """For each (period, line) of a KPI's trend (scorecards.selectors.kpi_trend), its actual
    against the same period a year before (同比): one query for the whole trend."""
    found = comparison(
        org=org,
        periods=[p for p, _line in trend],
        compare=YOY,
        department_ids={kpi.department_id},
        lines=True,
    )
    return [
        found.actual_then(
            department_id=kpi.department_id,
            kpi_id=kpi.pk,
            period=p,
            now=line.actual if line is not None else None,
        )
        for p, line in trend
    ]


def attach_comparisons(*, org, cards, compares=COMPARES, lines: bool = True) -> None:
    """Give each scorecard of `cards` (period loaded; with its `lines` when `lines`) a
    `compare` dict {compare: {"score": Delta, "rolled_up_score": Delta}}, and each of its
    lines a `compare` dict {compare: {"actual": Delta, "score": Delta}}. One query per
    level and comparison, whatever the number of cards and lines."""
    cards = list(cards)
    if not cards:
        return
    department_ids = {c.department_id for c in cards}
    for card in cards:
        card.compare = {}
        for line in getattr(card, "lines", []) if lines else []:
            line.compare = {}
    for compare in compares:
        found = comparison(
            org=org,
            periods=[c.period for c in cards],
            compare=compare,
            department_ids=department_ids,
            cards=True,
            lines=lines,
        )
        for card in cards:
            card.compare[compare] = found.card_deltas(card)
            for line in getattr(card, "lines", []) if lines else []:
                line.compare[compare] = found.line_deltas(line, card.period)
