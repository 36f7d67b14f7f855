"""The roll-up: actuals → scorecard lines → department scorecards → hierarchy → organization
indices → goal progress, for one organization and a set of periods.

Every period is computed from the actuals inside it alone, so periods are independent: a
set of periods is computed in one transaction, or - when it is large and the caller holds
no transaction of its own - in `ROLLUP_WORKERS` parts at once, each part a transaction on a
connection of its own (PostgreSQL runs one statement on one core; the parts use the
others). Each period's lines, scorecards and indices always commit together.

Set-based SQL: a handful of INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE statements over
all the rows of the organization and periods at once (plus one per formula indicator and one
UPDATE per tree level), never a query per row. The formulas are those of SPEC §3–§4, and
metrics.scoring is their reference: tests check that both agree on generated data.

The statements run on PostgreSQL and, for the `make run` demo, on SQLite: divisions are
written as `(1.0 * a) / NULLIF(b, 0)`, clamps as CASE, "latest month" per dialect.

Incremental (`recalculate_marks`): a run recomputes only what its recalculation marks reach
(README "Recalculation"): the marked departments' lines and scorecards, their ancestors'
rolled-up scores, and the organization indices and goal progress of the marked periods. The
same statements, each narrowed to those departments (the `{kd}`, `{ad}`, … fragments of
`_scope`); a department-less mark recomputes its period whole.

The package: `lines` (the KPI lines' SQL), `scores` (scorecards, hierarchy, indices, goals),
`parts` (dealing periods into parts of equal work), `marks` (grouping claimed marks into
runs of the same departments); this module runs them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from departments.models import Organization
from metrics import formulas
from metrics.models import Indicator, Period
from perfhub.cache_versions import dashboard_stale
from perfhub.tenancy import org_atomic

from .lines import FRESH_SQL, STALE_LINES_SQL, _formula_lines_sql, _ids, _plain_lines_sql
from .marks import Mark, by_scope
from .parts import PERIOD_WEIGHT, deal
from .scores import (
    CLAIMED_DONE_SQL,
    DONE_SQL,
    GOALS_SQL,
    ORG_SQL,
    RESET_ROLLED_UP_SQL,
    ROLLED_UP_SQL,
    SCORECARDS_SQL,
    STALE_CARDS_SQL,
    ancestors,
    tree_levels,
    tree_parents,
    tree_paths,
)

__all__ = [
    "PERIOD_WEIGHT",
    "Mark",
    "RollupResult",
    "deal",
    "recalculate",
    "recalculate_marks",
]
ADVISORY_KEY = 7_301_966  # "roll-up" namespace for pg_advisory_xact_lock(key, period)
# Below this many periods the parts are not worth a connection each: one changed month is
# three periods (the month, its quarter, its year).
PARALLEL_MIN_PERIODS = 4
# Up to this many marked (period, department) pairs - one save marks three: its month, quarter
# and year - the planner's index look-ups are right; above it, hash joins (see below).
FEW_PAIRS = 12


@dataclass
class RollupResult:
    periods: int
    lines: int
    scorecards: int


# Called with each part's result once that part has committed.
PartDone = Callable[[RollupResult], object]


def recalculate_marks(
    *,
    org: Organization,
    marks: Iterable[Mark],
    started: datetime | None = None,
    on_part_done: PartDone | None = None,
) -> RollupResult:
    """Recompute what these claimed marks reach, then delete each mark at the version
    claimed (in the transaction of its period's scorecards). Periods marked for the whole
    organization go through `recalculate` (in parts when many); every other marked period,
    with exactly its marked departments, in one more transaction (the statements narrowed
    to those (period, department) pairs: a burst of saves over many months is one run)."""
    started = started or timezone.now()
    total = RollupResult(0, 0, 0)
    for group in by_scope(list(marks)):
        if group.departments is None:
            result = recalculate(
                org=org,
                period_ids=group.periods,
                started=started,
                on_part_done=on_part_done,
                claimed=group.marks,
            )
        else:
            result = _finished(
                _recalculate_part(
                    org, group.periods, started, group.departments, group.marks, group.pairs
                ),
                on_part_done,
            )
        total = RollupResult(
            total.periods + result.periods,
            total.lines + result.lines,
            total.scorecards + result.scorecards,
        )
    return total


def recalculate(
    *,
    org: Organization,
    period_ids: Iterable[int],
    started: datetime | None = None,
    on_part_done: PartDone | None = None,
    claimed: list[Mark] | None = None,
) -> RollupResult:
    """Recompute the scorecards of the organization for these periods (and nothing else),
    then clear their recalculation marks made before `started` (or, given `claimed`,
    exactly those marks at their claimed versions). Idempotent; runs that share a period
    are serialised by an advisory lock per period.

    Several parts at once (`ROLLUP_WORKERS`) when there are at least PARALLEL_MIN_PERIODS
    periods on PostgreSQL and the caller is in no transaction (inside one, the parts'
    connections could not see what it has not committed): the periods dealt out so that
    each part has about as much work as the others (`deal`).

    `on_part_done(result)`, when given, is called after each part has committed (on that
    part's thread and connection): a job reports its progress with it."""
    started = started or timezone.now()
    period_ids = sorted({int(p) for p in period_ids})
    if not period_ids:
        return RollupResult(0, 0, 0)
    workers = min(settings.ROLLUP_WORKERS, len(period_ids))
    if (
        workers < 2
        or len(period_ids) < PARALLEL_MIN_PERIODS
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        return _finished(_recalculate_part(org, period_ids, started, None, claimed), on_part_done)
    with org_atomic(org):
        kinds = list(
            Period.objects.for_org(org)
            .filter(pk__in=period_ids)
            .order_by("start", "pk")
            .values_list("pk", "kind")
        )
    parts = deal(kinds, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rollup") as pool:
        futures = [
            pool.submit(_part_in_thread, org, part, started, on_part_done, claimed)
            for part in parts
            if part
        ]
        results = [f.result() for f in futures]  # the first error, after every part ended
    return RollupResult(
        periods=sum(r.periods for r in results),
        lines=sum(r.lines for r in results),
        scorecards=sum(r.scorecards for r in results),
    )


def _part_in_thread(
    org: Organization,
    period_ids: list[int],
    started: datetime,
    on_part_done: PartDone | None,
    claimed: list[Mark] | None,
) -> RollupResult:
    """One part on this thread's own connection, closed afterwards."""
    try:
        return _finished(_recalculate_part(org, period_ids, started, None, claimed), on_part_done)
    finally:
        connections.close_all()


def _finished(result: RollupResult, on_part_done: PartDone | None) -> RollupResult:
    if on_part_done is not None:
        on_part_done(result)
    return result


# Every fragment a statement may hold, empty: the whole organization.
_WHOLE = dict.fromkeys(("kd", "ad", "ld", "xd", "dd", "cd", "pa", "pm", "pp", "pd"), "")


def _scope(
    departments: set[int] | None, pairs: frozenset[tuple[int, int]] | None = None
) -> dict[str, str]:
    """The fragments narrowing each statement to the departments recomputed (all: empty)
    and, given `pairs`, to those (period, department) pairs only: a burst of saves marks a
    few departments in each of many periods, recomputed in one run without recomputing
    every marked department in every marked period."""
    if departments is None:
        return dict(_WHOLE)
    ids = _ids(sorted(departments))
    scope = {
        **_WHOLE,
        "kd": f"AND k.department_id IN ({ids})",
        "ad": f"AND a.department_id IN ({ids})",
        "ld": f"AND l.department_id IN ({ids})",
        "xd": f"AND department_id IN ({ids})",
        "cd": f"AND c.department_id IN ({ids})",
        "dd": f"AND id IN ({ids})",
    }
    if pairs is not None:
        # Our own integer ids, as a VALUES list (PostgreSQL hashes it; SQLite has row values).
        values = "VALUES " + ", ".join(f"({int(p)}, {int(d)})" for p, d in sorted(pairs))
        scope.update(
            ld=f"AND (l.period_id, l.department_id) IN ({values})",
            xd=f"AND (period_id, department_id) IN ({values})",
            cd=f"AND (c.period_id, c.department_id) IN ({values})",
            pa=f"AND (a.period_id, a.department_id) IN ({values})",
            pm=f"AND (mp.period_id, a.department_id) IN ({values})",
            pp=f"WHERE (p.id, kr.department_id) IN ({values})",
            pd=f"WHERE (p.id, d.id) IN ({values})",
        )
    return scope


def _recalculate_part(
    org: Organization,
    period_ids: list[int],
    started: datetime,
    departments: set[int] | None = None,
    claimed: list[Mark] | None = None,
    pairs: frozenset[tuple[int, int]] | None = None,
) -> RollupResult:
    """These periods in one transaction: every department, or only `departments` (and
    their ancestors' rolled-up scores), and of those only the `pairs` when given."""
    vendor = connection.vendor
    params: dict[str, Any] = {
        "org": org.pk,
        "amber": org.amber_line,
        "policy": org.missing_actual_policy,
        "m": org.management_weight,
        "now": timezone.now(),
        "started": started,
    }
    periods = _ids(period_ids)
    scope = {"periods": periods, **_scope(departments, pairs)}
    # One transaction with the database set to the organization (row-level security): every
    # statement below sees and writes that organization's rows only.
    with org_atomic(org), connection.cursor() as cursor:
        formula_rows = list(
            Indicator.objects.for_org(org)
            .filter(aggregation="formula")
            .exclude(formula="")
            .values_list("id", "code", "formula")
        )
        by_code = {code: (pk, expr) for pk, code, expr in formula_rows}
        try:
            order = formulas.evaluation_order({code: expr for code, (_pk, expr) in by_code.items()})
        except formulas.FormulaError:
            order = []  # a broken formula (refused on save) cannot stop the other scorecards
        if vendor == "postgresql":
            # Two runs that share a period wait for each other; each takes its periods' locks
            # in ascending order, so two runs never wait on each other in a circle.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, p) FROM (SELECT DISTINCT "
                "CAST(MOD(p, 2147483647) AS integer) AS p FROM unnest(%s) AS p ORDER BY 1) AS l",
                [ADVISORY_KEY, period_ids],
            )
        if vendor == "postgresql" and departments is not None and len(pairs or ()) <= FEW_PAIRS:
            # A few departments: the planner's own choice (index look-ups) is right; only
            # JIT is never worth it for statements run once.
            cursor.execute("SET LOCAL jit = off")
        elif vendor == "postgresql":
            # The whole organization, or a burst's many (period, department) pairs: the
            # planner guesses one row for the pairs' VALUES list and the CTEs over them, and
            # its nested loops then rescan that list per actual (2.3 s for 170 pairs at 200
            # departments × 25 KPIs, against 0.2 s hashed: `benchmark burst`).
            # Freshly written rows have no statistics yet; a nested loop planned on a guess of
            # one row turns quadratic. Every join here is on equal ids: hash joins are right.
            cursor.execute("SET LOCAL enable_nestloop = off")
            # The same guesses (a few hundred rows where there are hundreds of thousands)
            # pick merge joins over sorted rescans and grouping by sorting: hash those too.
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("SET LOCAL enable_sort = off")
            # and join in the order written: each big row set (actuals, lines) meets the
            # small tables it is looked up in, never a cross product of two small ones.
            cursor.execute("SET LOCAL join_collapse_limit = 1")
            # These statements are planned once and run once: compiling them (JIT, which the
            # high estimated costs would trigger) costs seconds and saves nothing.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(STALE_LINES_SQL.format(**scope), params)
        # Periods computed for the first time have no lines to update: a plain insert.
        cursor.execute(FRESH_SQL.format(**scope), params)
        fresh = cursor.fetchone()[0] == 0
        cursor.execute(_plain_lines_sql(vendor, fresh).format(**scope), params)
        lines = max(cursor.rowcount, 0)
        for code in order:
            pk, expression = by_code[code]
            cursor.execute(_formula_lines_sql(pk, expression, vendor).format(**scope), params)
            lines += max(cursor.rowcount, 0)
        cursor.execute(STALE_CARDS_SQL.format(**scope), params)
        cursor.execute(SCORECARDS_SQL.format(**scope), params)
        cards = max(cursor.rowcount, 0)
        if departments is None:
            levels = tree_levels(tree_parents(org))
        else:
            parents, with_children = tree_paths(org, departments)
            above = ancestors(parents, departments)
            levels = tree_levels(parents, above | departments, with_children)
            if above:
                cursor.execute(
                    RESET_ROLLED_UP_SQL.format(periods=periods, ancestors=_ids(sorted(above))),
                    params,
                )
        for level in levels:
            cursor.execute(ROLLED_UP_SQL.format(periods=periods, parents=_ids(level)), params)
        cursor.execute(ORG_SQL.format(**scope), params)
        cursor.execute(GOALS_SQL.format(**scope), params)
        if claimed is None:
            cursor.execute(DONE_SQL.format(**scope), params)
        else:
            mine = [m for m in claimed if m.period_id in set(period_ids)]
            if mine:
                values = ", ".join(f"({int(m.id)}, {int(m.version)})" for m in mine)
                cursor.execute(CLAIMED_DONE_SQL.format(periods=periods, claimed=values), params)
        dashboard_stale(org.pk)  # new scorecards: renewed when this commits
    return RollupResult(periods=len(period_ids), lines=lines, scorecards=cards)
