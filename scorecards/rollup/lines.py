"""The roll-up's first step: the scorecard lines, one per KPI of a department in a period
(actual, target, score, status), written by set-based SQL (see scorecards.rollup).
The scoring formulas are those of metrics.scoring, the reference the tests compare with."""

from __future__ import annotations

from collections.abc import Iterable

from departments.models import Department
from metrics import formulas
from metrics.models import Actual, Indicator, Kpi, KpiPeriodTarget, PendingRecalculation, Period
from metrics.scoring_sql import (
    inverse_span_sql,
    kpi_score_sql,
    months_sql,
    period_factor_sql,
    period_target_max_sql,
    period_target_sql,
    period_threshold_sql,
    score_top_sql,
    status_sql,
)

from ..models import Goal, GoalLink, OrgScorecard, Scorecard, ScorecardLine

T = {
    "line": ScorecardLine._meta.db_table,
    "card": Scorecard._meta.db_table,
    "org": OrgScorecard._meta.db_table,
    "kpi": Kpi._meta.db_table,
    "ind": Indicator._meta.db_table,
    "dept": Department._meta.db_table,
    "actual": Actual._meta.db_table,
    "period": Period._meta.db_table,
    "goal": Goal._meta.db_table,
    "link": GoalLink._meta.db_table,
    "pending": PendingRecalculation._meta.db_table,
    "ptarget": KpiPeriodTarget._meta.db_table,
}


def _ids(values: Iterable[int]) -> str:
    """A literal id list for IN (…): our own integer ids, never user text."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _targets_and_scores(source: str, vendor: str) -> str:
    """Final SELECT over `source` (columns: kpi_id, department_id, period_id, weight,
    actual, n and the period's rule: p_target, p_threshold, p_target_max, inv, top,
    direction) computing the score (SPEC §3) and its status.

    higher and lower are one formula: 100 (A - F) / (T - F) = 100 (F - A) / (F - T), with
    inv = 100 / (T - F) computed once per KPI and period kind; within_range scores
    100 - d * inv with d the distance to the band and inv = 100 / F."""
    score = kpi_score_sql(
        vendor=vendor,
        actual="s.actual",
        direction="s.direction",
        target="s.p_target",
        threshold="s.p_threshold",
        target_max="s.p_target_max",
        inv="s.inv",
        top="s.top",
    )
    # The score is computed once and its status read from it: a fence keeps PostgreSQL from
    # copying the expression into the status (OFFSET 0 streams; MATERIALIZED would store
    # every row first); SQLite knows only the latter.
    fence = "OFFSET 0" if vendor == "postgresql" else ""
    materialized = "" if vendor == "postgresql" else "MATERIALIZED"
    # A period with a target of its own (ko, _kpis_cte) replaces the rule of its length.
    own = {
        col: f"CASE WHEN o.kpi_id IS NULL THEN s.{col} ELSE o.{col} END AS {col}"
        for col in ("p_target", "p_threshold", "p_target_max", "inv")
    }
    return f"""
    ruled AS (
      SELECT s.kpi_id, s.department_id, s.period_id, s.weight, s.actual, s.n, s.direction,
        s.top, {", ".join(own.values())}
      FROM {source} s LEFT JOIN ko o ON o.kpi_id = s.kpi_id AND o.period_id = s.period_id
    ),
    scored AS {materialized} (
      SELECT s.kpi_id, s.department_id, s.period_id, s.weight, s.actual, s.n, s.p_target,
        s.p_threshold, s.p_target_max,
        {score} AS score
      FROM ruled s {fence}
    )
    SELECT %(org)s, department_id, period_id, kpi_id, weight, actual, n,
      p_target, p_threshold, p_target_max, (p_target IS NOT NULL), score,
      {status_sql("score", "%(amber)s")},
      %(now)s
    FROM scored WHERE 1 = 1
    """


LINE_COLUMNS = """(organization_id, department_id, period_id, kpi_id, weight, actual,
    months_with_value, target, threshold, target_max, scored, score, status, computed_at)"""
_LINE_FIELDS = (
    "weight",
    "actual",
    "months_with_value",
    "target",
    "threshold",
    "target_max",
    "scored",
    "score",
    "status",
)


def _line_upsert(vendor: str) -> str:
    """Update a line only when something in it changed (its computed_at then says when it
    last changed); unchanged lines cost no write."""
    differs = " IS DISTINCT FROM " if vendor == "postgresql" else " IS NOT "
    line = T["line"]
    return f"""
    ON CONFLICT (organization_id, period_id, department_id, kpi_id) DO UPDATE SET
      {", ".join(f"{f} = excluded.{f}" for f in _LINE_FIELDS)}, computed_at = excluded.computed_at
    WHERE {" OR ".join(f"{line}.{f}{differs}excluded.{f}" for f in _LINE_FIELDS)}"""


# Targets per period (docs/scoring.md; metrics.scoring.rule_with_period_targets): `own` the
# periods' own targets, `parts` per longer period of a `sum` KPI the sums of its entry
# periods' own targets (`n` of them; thresholds and upper ends summed only when every one
# has one), `ko` the rule of each (KPI, period) that has either - only where the KPI is
# scored in that period at all (kf.p_target), the own target first. The lines replace the
# rule of the period's length with it (_targets_and_scores).
PERIOD_TARGETS = f"""
    own AS (
      SELECT t.kpi_id, t.period_id, t.target, t.threshold, t.target_max
      FROM {T["ptarget"]} t JOIN p ON p.id = t.period_id
      WHERE t.organization_id = %(org)s
    ),
    parts AS (
      SELECT t.kpi_id, p.id AS period_id, COUNT(*) AS n, SUM(t.target) AS target,
        CASE WHEN COUNT(t.threshold) = COUNT(*) THEN SUM(t.threshold) END AS threshold,
        CASE WHEN COUNT(t.target_max) = COUNT(*) THEN SUM(t.target_max) END AS target_max
      FROM {T["ptarget"]} t
      JOIN k ON k.id = t.kpi_id AND k.aggregation = 'sum'
      JOIN {T["period"]} m ON m.id = t.period_id AND m.organization_id = t.organization_id
        AND m.kind = k.frequency
      JOIN p ON m.start >= p.start AND m."end" <= p."end" AND p.months > k.f_months
      WHERE t.organization_id = %(org)s
      GROUP BY t.kpi_id, p.id
    ),
    ko0 AS (
      SELECT kf.id AS kpi_id, p.id AS period_id, kf.direction,
        CASE WHEN o.kpi_id IS NULL THEN ps.target ELSE o.target END AS p_target,
        COALESCE(CASE WHEN o.kpi_id IS NULL THEN ps.threshold ELSE o.threshold END,
          kf.threshold * kf.factor) AS threshold,
        COALESCE(CASE WHEN o.kpi_id IS NULL THEN ps.target_max ELSE o.target_max END,
          {period_target_max_sql(target_max="kf.target_max", factor="kf.factor")}) AS p_target_max
      FROM kf JOIN p ON p.months = kf.months
      LEFT JOIN own o ON o.kpi_id = kf.id AND o.period_id = p.id
      LEFT JOIN parts ps ON ps.kpi_id = kf.id AND ps.period_id = p.id
        AND ps.n = p.months / kf.f_months
      WHERE kf.p_target IS NOT NULL AND (o.kpi_id IS NOT NULL OR ps.kpi_id IS NOT NULL)
    ),
    ko1 AS (
      SELECT ko0.kpi_id, ko0.period_id, ko0.direction, ko0.p_target, ko0.p_target_max,
        {
    period_threshold_sql(
        direction="ko0.direction", threshold="ko0.threshold", factor="1", target="ko0.p_target"
    )
} AS p_threshold
      FROM ko0
    ),
    ko AS MATERIALIZED (
      SELECT ko1.kpi_id, ko1.period_id, ko1.p_target, ko1.p_threshold, ko1.p_target_max,
        {
    inverse_span_sql(direction="ko1.direction", target="ko1.p_target", threshold="ko1.p_threshold")
} AS inv
      FROM ko1
    )"""


def _kpis_cte(formula_indicator: int | None) -> str:
    """CTEs p (target periods), k (active KPIs of active departments), kr (each KPI's rule
    for a period of 1, 3 and 12 months, SPEC §4: sum indicators scale target, threshold
    and band by months; the others keep them for longer periods and are not scored in
    shorter ones) and pairs (every KPI × target period at least as long as its entry)."""
    which = (
        f"AND i.id = {int(formula_indicator)}"
        if formula_indicator is not None
        else "AND i.aggregation <> 'formula'"
    )
    return f"""
    p AS (
      SELECT id, start, "end", {months_sql("kind")} AS months
      FROM {T["period"]} WHERE organization_id = %(org)s AND id IN ({{periods}})
    ),
    k AS (
      SELECT k.id, k.department_id, k.weight, k.target, k.threshold, k.target_max, k.cap,
        {months_sql("k.target_period")} AS tp_months, i.direction, i.aggregation,
        i.frequency, {months_sql("i.frequency")} AS f_months
      FROM {T["kpi"]} k
      JOIN {T["ind"]} i ON i.id = k.indicator_id AND i.organization_id = k.organization_id
      JOIN {T["dept"]} d ON d.id = k.department_id AND d.organization_id = k.organization_id
      WHERE k.organization_id = %(org)s AND k.is_active AND d.is_active {which} {{kd}}
    ),
    kt AS (
      SELECT k.*, lengths.months,
        {
        period_target_sql(
            target="k.target",
            weight="k.weight",
            aggregation="k.aggregation",
            months="lengths.months",
            target_months="k.tp_months",
        )
    } AS p_target,
        {
        period_factor_sql(
            aggregation="k.aggregation", months="lengths.months", target_months="k.tp_months"
        )
    } AS factor
      FROM k CROSS JOIN (SELECT 1 AS months UNION ALL SELECT 3 UNION ALL SELECT 12) lengths
      WHERE lengths.months >= k.f_months
    ),
    kf AS (
      SELECT kt.*,
        {
        period_threshold_sql(
            direction="kt.direction",
            threshold="kt.threshold",
            factor="kt.factor",
            target="kt.p_target",
        )
    } AS p_threshold,
        {period_target_max_sql(target_max="kt.target_max", factor="kt.factor")} AS p_target_max
      FROM kt
    ),
    kr AS MATERIALIZED (
      SELECT kf.id, kf.department_id, kf.weight, kf.direction, kf.aggregation, kf.frequency,
        kf.months, kf.p_target, kf.p_threshold, kf.p_target_max,
        {
        inverse_span_sql(direction="kf.direction", target="kf.p_target", threshold="kf.p_threshold")
    } AS inv,
        {score_top_sql(direction="kf.direction", cap="kf.cap")} AS top
      FROM kf
    ),
    pairs AS (
      SELECT kr.*, p.id AS period_id, p.start AS p_start, p."end" AS p_end
      FROM kr JOIN p ON p.months = kr.months {{pp}}
    ),
    {PERIOD_TARGETS}"""


def _last_value_sql(vendor: str) -> tuple[str, str]:
    """(aggregate column in `grouped`, expression in `found`) for the latest month with a
    value."""
    if vendor == "postgresql":
        # The greatest [day, value] pair is the latest month's value; unlike an ordered
        # array_agg it lets PostgreSQL aggregate by hashing instead of sorting.
        return (
            "(MAX(CASE WHEN i.aggregation = 'last' THEN "
            "ARRAY[(mp.m_start - DATE '2000-01-01')::numeric, a.counted_value] END))[2] "
            "AS last_value",
            "agg.last_value",
        )
    return (
        "NULL AS last_value",
        f"""(SELECT a2.counted_value FROM {T["actual"]} a2
             JOIN {T["period"]} m2 ON m2.id = a2.period_id
             WHERE a2.organization_id = %(org)s AND a2.kpi_id = kr.id AND m2.kind = kr.frequency
               AND a2.counted_value IS NOT NULL
               AND m2.start >= p.start AND m2."end" <= p."end"
             ORDER BY m2.start DESC LIMIT 1)""",
    )


# Which entry periods (months, or quarters for quarterly KPIs) lie in which target period
# (each period in itself too): a small table, so actuals join it on an equality instead of
# a date range.
MONTH_MAP = f"""
    mp AS MATERIALIZED (
      SELECT m.id AS month_id, m.kind AS m_kind, m.start AS m_start, p.id AS period_id,
        p.months
      FROM {T["period"]} m JOIN p ON m.start >= p.start AND m."end" <= p."end"
      WHERE m.organization_id = %(org)s
    )"""


# An actual's indicator, from the tables themselves (not the CTE k): their statistics let
# PostgreSQL hash the small side (5,000 KPIs) and stream the actuals past it, where a CTE's
# unknown key distribution made it hash the actuals instead.
KPI_OF_ACTUAL = f"""
      JOIN {T["kpi"]} ak ON ak.id = a.kpi_id AND ak.organization_id = a.organization_id
      JOIN {T["ind"]} i ON i.id = ak.indicator_id AND i.organization_id = ak.organization_id"""

# Only the actuals that count (metrics.scoring.counted_value: a value awaiting confirmation
# or rejected counts with the one confirmed before it, else not at all). `counted_value` is a
# generated column of the actuals table, so the statements read it like any other.
COUNTS = "AND a.counted_value IS NOT NULL"

# A KPI's rule for the period, as `v` (the scoring input) names it.
RULE = """kr.id AS kpi_id, kr.department_id, kr.weight, kr.direction, kr.p_target,
        kr.p_threshold, kr.p_target_max, kr.inv, kr.top"""


def _plain_lines_sql(vendor: str, fresh: bool = False) -> str:
    """Lines of the indicators entered directly, driven by the actuals: each found value
    meets its KPI's rule for the period length (15,000 rules hashed, not a pair per line).

    - An actual whose own period is a target period is that period's value as it is (most
      lines: every month of a monthly KPI); only the longer periods group the actuals they
      contain.
    - The pairs of KPI and period with no value at all (a line with no actual) are looked
      for only among the KPIs that have fewer values than periods of that length: counted
      from the actuals and the groups, not from the lines being written, which then stream
      straight into the table (PostgreSQL skips both look-ups when no KPI is short)."""
    last_agg, last_expr = _last_value_sql(vendor)
    return f"""
    INSERT INTO {T["line"]} {LINE_COLUMNS}
    WITH {_kpis_cte(None)},
    {MONTH_MAP},
    grouped AS MATERIALIZED (
      SELECT a.kpi_id, mp.period_id, MIN(mp.months) AS months, COUNT(*) AS n,
        SUM(a.counted_value) AS s,
        MIN(CASE WHEN i.aggregation = 'min' THEN a.counted_value END) AS mn,
        MAX(CASE WHEN i.aggregation = 'max' THEN a.counted_value END) AS mx, {last_agg}
      FROM {T["actual"]} a
      {KPI_OF_ACTUAL}
      JOIN mp ON mp.month_id = a.period_id AND mp.m_kind = i.frequency
      WHERE a.organization_id = %(org)s AND mp.period_id <> mp.month_id {COUNTS} {{ad}} {{pm}}
      GROUP BY a.kpi_id, mp.period_id
    ),
    found AS (
      SELECT {RULE}, a.period_id, p.months, 1 AS n, a.counted_value AS actual
      FROM {T["actual"]} a
      JOIN p ON p.id = a.period_id
      JOIN kr ON kr.id = a.kpi_id AND kr.months = p.months
      WHERE a.organization_id = %(org)s AND {months_sql("kr.frequency")} = p.months {COUNTS}
        {{ad}} {{pa}}
      UNION ALL
      SELECT {RULE}, agg.period_id, agg.months, agg.n,
        CASE kr.aggregation WHEN 'sum' THEN agg.s WHEN 'average' THEN (1.0 * agg.s) / agg.n
          WHEN 'min' THEN agg.mn WHEN 'max' THEN agg.mx
          WHEN 'last' THEN {last_expr} END
      FROM grouped agg
      JOIN kr ON kr.id = agg.kpi_id AND kr.months = agg.months
      JOIN p ON p.id = agg.period_id
    ),
    counted AS (
      SELECT a.kpi_id, p.months, COUNT(*) AS n
      FROM {T["actual"]} a
      JOIN p ON p.id = a.period_id
      JOIN kr ON kr.id = a.kpi_id AND kr.months = p.months
      WHERE a.organization_id = %(org)s AND {months_sql("kr.frequency")} = p.months {COUNTS}
        {{ad}} {{pa}}
      GROUP BY a.kpi_id, p.months
      UNION ALL
      SELECT kpi_id, months, COUNT(*) FROM grouped GROUP BY kpi_id, months
    ),
    lengths AS (SELECT months, COUNT(*) AS n FROM p GROUP BY months),
    short AS (
      SELECT kr.id, kr.months FROM kr
      JOIN lengths ON lengths.months = kr.months
      LEFT JOIN counted ON counted.kpi_id = kr.id AND counted.months = kr.months
      WHERE COALESCE(counted.n, 0) < lengths.n
    ),
    v AS (
      SELECT kpi_id, department_id, period_id, weight, direction, p_target, p_threshold,
        p_target_max, inv, top, n, actual
      FROM found
      UNION ALL
      SELECT pr.id, pr.department_id, pr.period_id, pr.weight, pr.direction, pr.p_target,
        pr.p_threshold, pr.p_target_max, pr.inv, pr.top, 0, NULL
      FROM short JOIN pairs pr ON pr.id = short.id AND pr.months = short.months
      WHERE pr.months = {months_sql("pr.frequency")} AND NOT EXISTS (
        SELECT 1 FROM {T["actual"]} a WHERE a.organization_id = %(org)s
          AND a.kpi_id = pr.id AND a.period_id = pr.period_id {COUNTS})
      UNION ALL
      SELECT pr.id, pr.department_id, pr.period_id, pr.weight, pr.direction, pr.p_target,
        pr.p_threshold, pr.p_target_max, pr.inv, pr.top, 0, NULL
      FROM short JOIN pairs pr ON pr.id = short.id AND pr.months = short.months
      WHERE pr.months > {months_sql("pr.frequency")} AND NOT EXISTS (
        SELECT 1 FROM grouped g WHERE g.kpi_id = pr.id AND g.period_id = pr.period_id)
    ),
    {_targets_and_scores("v", vendor)}
    {"" if fresh else _line_upsert(vendor)}
    """


def _formula_lines_sql(indicator_id: int, expression: str, vendor: str) -> str:
    parsed = formulas.parse(expression)
    codes = sorted(parsed.codes)
    columns = {code: f"comp.c{n}" for n, code in enumerate(codes)}
    pivot = ",\n        ".join(
        f"MAX(CASE WHEN ci.code = '{code}' THEN l.actual END) AS c{n}"
        for n, code in enumerate(codes)
    )
    code_list = ", ".join(f"'{code}'" for code in codes)  # codes match [a-z][a-z0-9_]*
    value = formulas.to_sql(parsed, columns)
    return f"""
    INSERT INTO {T["line"]} {LINE_COLUMNS}
    WITH {_kpis_cte(indicator_id)},
    comp AS (
      SELECT l.department_id, l.period_id,
        {pivot}
      FROM {T["line"]} l
      JOIN {T["kpi"]} ck ON ck.id = l.kpi_id
      JOIN {T["ind"]} ci ON ci.id = ck.indicator_id
      WHERE l.organization_id = %(org)s AND l.period_id IN ({{periods}}) {{ld}}
        AND ci.code IN ({code_list})
      GROUP BY l.department_id, l.period_id
    ),
    v0 AS (
      SELECT pr.id AS kpi_id, pr.department_id, pr.period_id, pr.weight, pr.direction,
        pr.p_target, pr.p_threshold, pr.p_target_max, pr.inv, pr.top, {value} AS actual
      FROM pairs pr LEFT JOIN comp ON comp.department_id = pr.department_id
        AND comp.period_id = pr.period_id
    ),
    v AS (SELECT v0.*, CASE WHEN v0.actual IS NULL THEN 0 ELSE 1 END AS n FROM v0),
    {_targets_and_scores("v", vendor)}
    {_line_upsert(vendor)}
    """


FRESH_SQL = f"""
    SELECT COUNT(*) FROM (SELECT 1 FROM {T["line"]}
      WHERE organization_id = %(org)s AND period_id IN ({{periods}}) {{xd}} LIMIT 1) AS any_line
    """

# Lines of KPIs no longer active (or of inactive departments, or of a KPI now elsewhere):
# each line looks up its own KPI (an anti-join), so a save's run reads its department's
# KPIs, not every KPI of the organization.
STALE_LINES_SQL = f"""
    DELETE FROM {T["line"]} AS l WHERE l.organization_id = %(org)s AND l.period_id IN ({{periods}})
      {{ld}} AND NOT EXISTS (
        SELECT 1 FROM {T["kpi"]} k JOIN {T["dept"]} d ON d.id = k.department_id
          AND d.organization_id = k.organization_id
        WHERE k.organization_id = %(org)s AND k.id = l.kpi_id
          AND k.department_id = l.department_id AND k.is_active AND d.is_active)
    """
