"""Targets per period (issue 20, docs/scoring.md "Targets per period"): which periods of a
KPI may have a target of their own, the rule each period of a fiscal year is scored by once
they do, and what the editor offers (the effective targets, "spread evenly", "copy last
year's shape").

The rule itself is ``metrics.scoring.rule_with_period_targets`` (pure); the roll-up computes
the same in SQL (``scorecards.rollup.lines.PERIOD_TARGETS``). Writes are in
``metrics.services.period_targets``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db.models import Q
from django.utils.translation import gettext as _

from . import scoring
from .models import Actual, KpiPeriodTarget, Period, PeriodKind
from .scoring_rules import rule_for
from .selectors import current_period

# The kinds of period that may have a target of their own: a year's target is the KPI's.
OWN_TARGET_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER)
CENT = Decimal("0.01")


def allows_own_target(kpi, kind: str) -> bool:
    """Whether a period of ``kind`` may have a target of its own for ``kpi`` (its
    ``indicator`` loaded): a month or a quarter, no shorter than the KPI's entry frequency,
    and, unless its indicator is ``sum``, no shorter than its target period (where the rules
    of SPEC §4 do not score it)."""
    if kind not in OWN_TARGET_KINDS:
        return False
    months = scoring.months_in(kind)
    if months < scoring.months_in(kpi.indicator.frequency):
        return False
    if kpi.indicator.aggregation == scoring.Aggregation.SUM:
        return True
    return months >= scoring.months_in(kpi.target_period)


def editor_grain(kpi) -> str | None:
    """The kind of period the editor shows a cell for: the shortest kind that may have its
    own target (months for a monthly ``sum`` KPI, quarters for a quarterly one); None when
    none may (a yearly KPI, or a yearly target of a non-``sum`` indicator)."""
    for kind in OWN_TARGET_KINDS:
        if allows_own_target(kpi, kind):
            return kind
    return None


def as_period_target(row: KpiPeriodTarget) -> scoring.PeriodTarget:
    return scoring.PeriodTarget(
        target=row.target, threshold=row.threshold, target_max=row.target_max
    )


def _inside(inner: Period, outer: Period) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and inner.pk != outer.pk


def period_rules(
    kpi, periods: Iterable[Period], own: Mapping[int, scoring.PeriodTarget]
) -> dict[int, tuple[scoring.KpiRule | None, bool]]:
    """{period id: (rule, own)} for every period given (a fiscal year's months, quarters and
    year): the rule that scores ``kpi`` there (``scoring.rule_with_period_targets``, with the
    period's own target from ``own`` and the own targets of the entry periods inside it),
    and whether that rule comes from targets per period rather than the KPI's alone."""
    periods = list(periods)
    entry = [p for p in periods if p.kind == kpi.indicator.frequency]
    rules: dict[int, tuple[scoring.KpiRule | None, bool]] = {}
    for period in periods:
        mine = own.get(period.pk)
        parts = [own.get(p.pk) for p in entry if _inside(p, period)]
        rule = rule_for(kpi, period_months=scoring.months_in(period.kind), own=mine, parts=parts)
        derived = (
            kpi.indicator.aggregation == scoring.Aggregation.SUM
            and bool(parts)
            and all(p is not None for p in parts)
        )
        rules[period.pk] = (rule, mine is not None or derived)
    return rules


def split_evenly(total: Decimal, n: int) -> list[Decimal]:
    """``total`` in ``n`` parts to the cent that add up to it exactly (the last takes the
    rounding)."""
    part = (total / n).quantize(CENT, rounding=ROUND_HALF_UP)
    return [part] * (n - 1) + [total - part * (n - 1)]


def split_by_weights(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` in parts proportional to ``weights`` (their sum above 0), to the cent,
    adding up to it exactly (the last takes the rounding)."""
    whole = sum(weights, Decimal(0))
    parts = [(total * w / whole).quantize(CENT, rounding=ROUND_HALF_UP) for w in weights[:-1]]
    return parts + [total - sum(parts, Decimal(0))]


@dataclass
class Cell:
    """One period of the editor: its own settings (None when it has none), the target that
    applies to it without them (the KPI's, scaled) and with them, and what the buttons fill
    in."""

    period: Period
    own: KpiPeriodTarget | None
    default: Decimal | None
    effective: Decimal | None
    even: Decimal | None = None
    shape: Decimal | None = None

    @property
    def even_text(self) -> str:
        return _plain(self.even)

    @property
    def shape_text(self) -> str:
        return _plain(self.shape)


def _plain(value: Decimal | None) -> str:
    """A number as the editor's buttons type it: 5000000, not 5E+6 or 5000000.000000."""
    return "" if value is None else format(value.normalize(), "f")


@dataclass
class Total:
    """A quarter's or the year's effective target, and whether it comes from the cells
    (their sum, or its own target) rather than the KPI's target alone."""

    period: Period
    effective: Decimal | None
    from_periods: bool


@dataclass
class TargetsYear:
    """What the editor shows for a KPI in a fiscal year."""

    kpi: object
    fiscal_year: int
    grain: str | None
    cells: list[Cell] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    year_target: Decimal | None = None
    shape_problem: str = ""  # why "copy last year's shape" is not offered ("" when it is)

    @property
    def year_total(self) -> Total | None:
        """The year's resulting target (from the cells or the KPI's), None without a year."""
        return next((t for t in self.totals if t.period.kind == PeriodKind.YEAR), None)


def fiscal_year_periods(*, org, fiscal_year: int) -> list[Period]:
    """The periods of a fiscal year (months, quarters, the year), by start."""
    return list(
        Period.objects.for_org(org).filter(fiscal_year=fiscal_year).order_by("start", "-end")
    )


def own_targets(*, org, kpi, periods: Iterable[Period]) -> dict[int, KpiPeriodTarget]:
    """{period id: own target row} of ``kpi`` in these periods."""
    ids = [p.pk for p in periods]
    rows = KpiPeriodTarget.objects.for_org(org).filter(kpi=kpi, period_id__in=ids)
    return {row.period_id: row for row in rows}


def _last_year_values(*, org, kpi, fiscal_year: int, grain: str) -> dict[int, Decimal]:
    """{number of the period in its year: counted value} of last year's entry periods."""
    rows = (
        Actual.objects.for_org(org)
        .filter(
            kpi=kpi,
            period__fiscal_year=fiscal_year - 1,
            period__kind=grain,
            counted_value__isnull=False,
        )
        .values_list("period__number", "counted_value")
    )
    return dict(rows)


def targets_year(*, org, kpi, fiscal_year: int) -> TargetsYear:
    """The editor's cells for ``kpi`` (its ``indicator`` loaded) in ``fiscal_year``: three
    queries (the year's periods, the KPI's own targets in them, last year's values)."""
    periods = fiscal_year_periods(org=org, fiscal_year=fiscal_year)
    if editor_grain(kpi) is None or not periods:
        return TargetsYear(kpi=kpi, fiscal_year=fiscal_year, grain=editor_grain(kpi))
    rows = own_targets(org=org, kpi=kpi, periods=periods)
    return _targets_year(
        kpi,
        fiscal_year,
        periods,
        rows,
        lambda grain: _last_year_values(org=org, kpi=kpi, fiscal_year=fiscal_year, grain=grain),
    )


def department_targets_years(*, org, kpis, fiscal_year: int) -> list[TargetsYear]:
    """The editor's cells of every KPI in ``kpis`` (their ``indicator`` loaded) that may have
    targets of its own, in their order, for the department grid: three queries whatever the
    number of KPIs (the year's periods, their own targets, last year's values). A KPI
    without a target of its own (a formula's component) has no row: its periods could not
    have one either."""
    kpis = [k for k in kpis if editor_grain(k) is not None and k.target is not None]
    periods = fiscal_year_periods(org=org, fiscal_year=fiscal_year)
    if not kpis or not periods:
        return []
    rows: dict[int, dict[int, KpiPeriodTarget]] = {k.pk: {} for k in kpis}
    for row in KpiPeriodTarget.objects.for_org(org).filter(
        kpi_id__in=list(rows), period_id__in=[p.pk for p in periods]
    ):
        rows[row.kpi_id][row.period_id] = row
    last: dict[tuple[int, str], dict[int, Decimal]] = {}
    for kpi_id, kind, number, value in (
        Actual.objects.for_org(org)
        .filter(
            kpi_id__in=list(rows),
            period__fiscal_year=fiscal_year - 1,
            period__kind__in=OWN_TARGET_KINDS,
            counted_value__isnull=False,
        )
        .values_list("kpi_id", "period__kind", "period__number", "counted_value")
    ):
        last.setdefault((kpi_id, kind), {})[number] = value
    return [
        _targets_year(
            k,
            fiscal_year,
            periods,
            rows[k.pk],
            partial(_last_of, last, k.pk),
        )
        for k in kpis
    ]


def _last_of(
    last: dict[tuple[int, str], dict[int, Decimal]], kpi_id: int, grain: str
) -> dict[int, Decimal]:
    return last.get((kpi_id, grain), {})


def _targets_year(
    kpi,
    fiscal_year: int,
    periods: list[Period],
    rows: dict[int, KpiPeriodTarget],
    last_year: Callable[[str], dict[int, Decimal]],
) -> TargetsYear:
    """The editor's cells of ``kpi`` from the year's periods, its own targets in them and
    ``last_year(grain)``, last year's counted values by period number (asked only when the
    shape can be copied); no query of its own."""
    grain = editor_grain(kpi)
    view = TargetsYear(kpi=kpi, fiscal_year=fiscal_year, grain=grain)
    if grain is None:
        return view
    rules = period_rules(kpi, periods, {pk: as_period_target(r) for pk, r in rows.items()})
    plain = period_rules(kpi, periods, {})
    cells = [p for p in periods if p.kind == grain]
    year = next((p for p in periods if p.kind == PeriodKind.YEAR), None)
    for p in cells:
        default = plain[p.pk][0]
        rule = rules[p.pk][0]
        view.cells.append(
            Cell(
                period=p,
                own=rows.get(p.pk),
                default=None if default is None else default.target,
                effective=None if rule is None else rule.target,
            )
        )
    for p in periods:
        if p.kind != grain and p.kind != PeriodKind.MONTH:
            rule, from_cells = rules[p.pk]
            view.totals.append(Total(p, None if rule is None else rule.target, from_cells))
    if kpi.target is None or not cells:
        view.shape_problem = _("Set the KPI's target first.")
        return view
    is_sum = kpi.indicator.aggregation == scoring.Aggregation.SUM
    year_rule = plain[year.pk][0] if year is not None else None
    view.year_target = None if year_rule is None else year_rule.target
    if is_sum and view.year_target is not None:
        evens = split_evenly(view.year_target, len(cells))
    else:
        evens = [kpi.target] * len(cells)
    for cell, even in zip(view.cells, evens, strict=True):
        cell.even = even
    if not is_sum:
        view.shape_problem = _(
            "Last year's shape applies to indicators summed over the months only."
        )
        return view
    last = last_year(grain)
    weights = [last.get(cell.period.number) for cell in view.cells]
    if any(w is None for w in weights) or sum(w for w in weights if w is not None) <= 0:
        view.shape_problem = _(
            "Last year (FY%(year)s) has no value for %(missing)d of its %(count)d periods: "
            "there is no shape to copy."
        ) % {
            "year": fiscal_year - 1,
            "missing": sum(1 for w in weights if w is None),
            "count": len(weights),
        }
        if all(w is not None for w in weights):
            view.shape_problem = _(
                "Last year's values (FY%(year)s) add up to 0: there is no shape to copy."
            ) % {"year": fiscal_year - 1}
        return view
    if view.year_target is None:
        return view
    shapes = split_by_weights(view.year_target, [w for w in weights if w is not None])
    for cell, shape in zip(view.cells, shapes, strict=True):
        cell.shape = shape
    return view


def fiscal_years(*, org) -> list[int]:
    """The fiscal years the organization has periods for, latest first."""
    return list(
        Period.objects.for_org(org)
        .filter(Q(kind=PeriodKind.YEAR))
        .order_by("-fiscal_year")
        .values_list("fiscal_year", flat=True)
    )


def default_fiscal_year(*, org, years: list[int]) -> int | None:
    """The fiscal year the editor opens on: that of the month to enter now, else the latest
    one; None without periods."""
    current = current_period(org=org)
    if current is not None:
        return current.fiscal_year
    return years[0] if years else None
