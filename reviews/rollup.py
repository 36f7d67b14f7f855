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

from departments.models import Department, Organization
from metrics import formulas
from metrics.models import (
    Actual,
    Indicator,
    Kpi,
    PendingRecalculation,
    Period,
)
from perfhub.tenancy import org_atomic

from . import dashboard_cache
from .models import Goal, GoalLink, OrgScorecard, Scorecard, ScorecardLine

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
}
MONTHS = "CASE {0} WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 ELSE 12 END"
ADVISORY_KEY = 7_301_966  # "roll-up" namespace for pg_advisory_xact_lock(key, period)
# Below this many periods the parts are not worth a connection each: one changed month is
# three periods (the month, its quarter, its year).
PARALLEL_MIN_PERIODS = 4


@dataclass
class RollupResult:
    periods: int
    lines: int
    scorecards: int


# Called with each part's result once that part has committed.
PartDone = Callable[[RollupResult], object]


def _ids(values: Iterable[int]) -> str:
    """A literal id list for IN (…): our own integer ids, never user text."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _clamp(vendor: str, expr: str, top: str) -> str:
    """expr clamped to [0, top], evaluating expr once (NULL stays NULL)."""
    if vendor == "postgresql":  # GREATEST/LEAST ignore NULLs; the caller guards them
        return f"GREATEST(0, LEAST({top}, {expr}))"
    return f"MAX(0, MIN({top}, {expr}))"


def _targets_and_scores(source: str, vendor: str) -> str:
    """Final SELECT over `source` (columns: kpi_id, department_id, period_id, weight,
    actual, n and the period's rule: p_target, p_threshold, p_target_max, inv, top,
    direction) computing the score (SPEC §3) and its status.

    higher and lower are one formula: 100 (A - F) / (T - F) = 100 (F - A) / (F - T), with
    inv = 100 / (T - F) computed once per KPI and period kind; within_range scores
    100 - d * inv with d the distance to the band and inv = 100 / F."""
    distance = (
        "CASE WHEN s.actual < s.p_target THEN s.p_target - s.actual "
        "WHEN s.actual > s.p_target_max THEN s.actual - s.p_target_max ELSE 0 END"
    )
    raw = (
        f"CASE WHEN s.direction = 'within_range' THEN 100 - ({distance}) * s.inv "
        "ELSE (s.actual - s.p_threshold) * s.inv END"
    )
    # The score is computed once and its status read from it: a fence keeps PostgreSQL from
    # copying the expression into the status (OFFSET 0 streams; MATERIALIZED would store
    # every row first); SQLite knows only the latter.
    fence = "OFFSET 0" if vendor == "postgresql" else ""
    materialized = "" if vendor == "postgresql" else "MATERIALIZED"
    return f"""
    scored AS {materialized} (
      SELECT s.kpi_id, s.department_id, s.period_id, s.weight, s.actual, s.n, s.p_target,
        s.p_threshold, s.p_target_max,
        CASE WHEN s.actual IS NULL OR s.inv IS NULL THEN NULL
             ELSE {_clamp(vendor, raw, "s.top")} END AS score
      FROM {source} s {fence}
    )
    SELECT %(org)s, department_id, period_id, kpi_id, weight, actual, n,
      p_target, p_threshold, p_target_max, (p_target IS NOT NULL), score,
      CASE WHEN score IS NULL THEN 'grey' WHEN score >= 100 THEN 'green'
           WHEN score >= CAST(%(amber)s AS NUMERIC) THEN 'amber' ELSE 'red' END,
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
      SELECT id, start, "end", {MONTHS.format("kind")} AS months
      FROM {T["period"]} WHERE organization_id = %(org)s AND id IN ({{periods}})
    ),
    k AS (
      SELECT k.id, k.department_id, k.weight, k.target, k.threshold, k.target_max, k.cap,
        {MONTHS.format("k.target_period")} AS tp_months, i.direction, i.aggregation,
        i.frequency, {MONTHS.format("i.frequency")} AS f_months
      FROM {T["kpi"]} k
      JOIN {T["ind"]} i ON i.id = k.indicator_id AND i.organization_id = k.organization_id
      JOIN {T["dept"]} d ON d.id = k.department_id AND d.organization_id = k.organization_id
      WHERE k.organization_id = %(org)s AND k.is_active AND d.is_active {which}
    ),
    kt AS (
      SELECT k.*, lengths.months,
        CASE WHEN k.target IS NULL OR k.weight <= 0 THEN NULL
             WHEN k.aggregation = 'sum' THEN (1.0 * k.target * lengths.months) / k.tp_months
             WHEN lengths.months >= k.tp_months THEN k.target END AS p_target,
        CASE WHEN k.aggregation = 'sum' THEN (1.0 * lengths.months) / k.tp_months
             ELSE 1 END AS factor
      FROM k CROSS JOIN (SELECT 1 AS months UNION ALL SELECT 3 UNION ALL SELECT 12) lengths
      WHERE lengths.months >= k.f_months
    ),
    kf AS (
      SELECT kt.*,
        CASE WHEN kt.direction = 'lower_is_better'
             THEN COALESCE(kt.threshold * kt.factor, 2 * kt.p_target)
             WHEN kt.direction = 'higher_is_better' THEN COALESCE(kt.threshold * kt.factor, 0)
             ELSE kt.threshold END AS p_threshold,
        kt.target_max * kt.factor AS p_target_max
      FROM kt
    ),
    kr AS MATERIALIZED (
      SELECT kf.id, kf.department_id, kf.weight, kf.direction, kf.aggregation, kf.frequency,
        kf.months, kf.p_target, kf.p_threshold, kf.p_target_max,
        CASE WHEN kf.p_target IS NULL THEN NULL
             WHEN kf.direction = 'within_range' THEN 100.0 / NULLIF(kf.p_threshold, 0)
             ELSE 100.0 / NULLIF(kf.p_target - kf.p_threshold, 0) END AS inv,
        CASE WHEN kf.direction = 'within_range' THEN 100 ELSE kf.cap END AS top
      FROM kf
    ),
    pairs AS (
      SELECT kr.*, p.id AS period_id, p.start AS p_start, p."end" AS p_end
      FROM kr JOIN p ON p.months = kr.months
    )"""


def _last_value_sql(vendor: str) -> tuple[str, str]:
    """(aggregate column in `grouped`, expression in `found`) for the latest month with a
    value."""
    if vendor == "postgresql":
        # The greatest [day, value] pair is the latest month's value; unlike an ordered
        # array_agg it lets PostgreSQL aggregate by hashing instead of sorting.
        return (
            "(MAX(CASE WHEN i.aggregation = 'last' THEN "
            "ARRAY[(mp.m_start - DATE '2000-01-01')::numeric, a.value] END))[2] AS last_value",
            "agg.last_value",
        )
    return (
        "NULL AS last_value",
        f"""(SELECT a2.value FROM {T["actual"]} a2 JOIN {T["period"]} m2 ON m2.id = a2.period_id
             WHERE a2.organization_id = %(org)s AND a2.kpi_id = kr.id AND m2.kind = kr.frequency
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
        SUM(a.value) AS s,
        MIN(CASE WHEN i.aggregation = 'min' THEN a.value END) AS mn,
        MAX(CASE WHEN i.aggregation = 'max' THEN a.value END) AS mx, {last_agg}
      FROM {T["actual"]} a
      {KPI_OF_ACTUAL}
      JOIN mp ON mp.month_id = a.period_id AND mp.m_kind = i.frequency
      WHERE a.organization_id = %(org)s AND mp.period_id <> mp.month_id
      GROUP BY a.kpi_id, mp.period_id
    ),
    found AS (
      SELECT {RULE}, a.period_id, p.months, 1 AS n, a.value AS actual
      FROM {T["actual"]} a
      JOIN p ON p.id = a.period_id
      JOIN kr ON kr.id = a.kpi_id AND kr.months = p.months
      WHERE a.organization_id = %(org)s AND {MONTHS.format("kr.frequency")} = p.months
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
      WHERE a.organization_id = %(org)s AND {MONTHS.format("kr.frequency")} = p.months
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
      WHERE pr.months = {MONTHS.format("pr.frequency")} AND NOT EXISTS (
        SELECT 1 FROM {T["actual"]} a WHERE a.organization_id = %(org)s
          AND a.kpi_id = pr.id AND a.period_id = pr.period_id)
      UNION ALL
      SELECT pr.id, pr.department_id, pr.period_id, pr.weight, pr.direction, pr.p_target,
        pr.p_threshold, pr.p_target_max, pr.inv, pr.top, 0, NULL
      FROM short JOIN pairs pr ON pr.id = short.id AND pr.months = short.months
      WHERE pr.months > {MONTHS.format("pr.frequency")} AND NOT EXISTS (
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
      WHERE l.organization_id = %(org)s AND l.period_id IN ({{periods}})
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
      WHERE organization_id = %(org)s AND period_id IN ({{periods}}) LIMIT 1) AS any_line
    """

STALE_LINES_SQL = f"""
    DELETE FROM {T["line"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND kpi_id NOT IN (
        SELECT k.id FROM {T["kpi"]} k JOIN {T["dept"]} d ON d.id = k.department_id
        WHERE k.organization_id = %(org)s AND k.is_active AND d.is_active)
    """

SCORECARDS_SQL = f"""
    INSERT INTO {T["card"]} (organization_id, department_id, period_id, score, rolled_up_score,
      coverage, weight_total, weight_with_actual, status, kpi_count, red_count, inputs_count,
      inputs_latest, computed_at)
    WITH p AS (
      SELECT id, start, "end", {MONTHS.format("kind")} AS months FROM {T["period"]}
      WHERE organization_id = %(org)s AND id IN ({{periods}})
    ),
    d AS (SELECT id FROM {T["dept"]} WHERE organization_id = %(org)s AND is_active),
    l AS (
      SELECT department_id, period_id,
        SUM(CASE WHEN scored THEN weight ELSE 0 END) AS w_all,
        SUM(CASE WHEN scored AND score IS NOT NULL THEN weight ELSE 0 END) AS w_have,
        SUM(CASE WHEN scored AND score IS NOT NULL THEN weight * score ELSE 0 END) AS ws,
        SUM(CASE WHEN scored THEN 1 ELSE 0 END) AS n,
        SUM(CASE WHEN status = 'red' THEN 1 ELSE 0 END) AS red
      FROM {T["line"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      GROUP BY department_id, period_id
    ),
    {MONTH_MAP},
    entered AS (
      SELECT a.department_id, a.period_id, COUNT(*) AS n, MAX(a.entered_at) AS latest
      FROM {T["actual"]} a WHERE a.organization_id = %(org)s
      GROUP BY a.department_id, a.period_id
    ),
    inputs AS (
      SELECT e.department_id, mp.period_id, SUM(e.n) AS n, MAX(e.latest) AS latest
      FROM entered e JOIN mp ON mp.month_id = e.period_id
      GROUP BY e.department_id, mp.period_id
    ),
    s AS (
      SELECT d.id AS department_id, p.id AS period_id,
        COALESCE(l.w_all, 0) AS w_all, COALESCE(l.w_have, 0) AS w_have,
        CASE WHEN COALESCE(l.w_have, 0) <= 0 THEN NULL
             WHEN %(policy)s = 'zero' THEN (1.0 * l.ws) / NULLIF(l.w_all, 0)
             ELSE (1.0 * l.ws) / l.w_have END AS score,
        COALESCE(l.n, 0) AS n, COALESCE(l.red, 0) AS red,
        COALESCE(inputs.n, 0) AS inputs_n, inputs.latest
      FROM d CROSS JOIN p
      LEFT JOIN l ON l.department_id = d.id AND l.period_id = p.id
      LEFT JOIN inputs ON inputs.department_id = d.id AND inputs.period_id = p.id
    )
    SELECT %(org)s, department_id, period_id, score, score,
      CASE WHEN w_all > 0 THEN (1.0 * w_have) / w_all ELSE 0 END, w_all, w_have,
      CASE WHEN score IS NULL THEN 'grey' WHEN score >= 100 THEN 'green'
           WHEN score >= CAST(%(amber)s AS NUMERIC) THEN 'amber' ELSE 'red' END,
      n, red, inputs_n, latest, %(now)s
    FROM s WHERE 1 = 1
    ON CONFLICT (organization_id, department_id, period_id) DO UPDATE SET
      score = excluded.score, rolled_up_score = excluded.rolled_up_score,
      coverage = excluded.coverage, weight_total = excluded.weight_total,
      weight_with_actual = excluded.weight_with_actual, status = excluded.status,
      kpi_count = excluded.kpi_count, red_count = excluded.red_count,
      inputs_count = excluded.inputs_count, inputs_latest = excluded.inputs_latest,
      computed_at = excluded.computed_at
    """

STALE_CARDS_SQL = f"""
    DELETE FROM {T["card"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND department_id NOT IN (
        SELECT id FROM {T["dept"]} WHERE organization_id = %(org)s AND is_active)
    """

# One level of the tree: a parent's rolled-up score is the weighted mean of its own score
# (weight 1, when it has one) and its children's rolled-up scores (their weight in parent).
ROLLED_UP_SQL = f"""
    UPDATE {T["card"]} SET rolled_up_score = (
        (CASE WHEN {T["card"]}.score IS NULL THEN 0 ELSE {T["card"]}.score END) + ch.ws)
        / NULLIF((CASE WHEN {T["card"]}.score IS NULL THEN 0 ELSE 1 END) + ch.w, 0)
    FROM (
      SELECT d.parent_id, c.period_id, SUM(1.0 * d.weight_in_parent * c.rolled_up_score) AS ws,
        SUM(d.weight_in_parent) AS w
      FROM {T["card"]} c JOIN {T["dept"]} d ON d.id = c.department_id
      WHERE c.organization_id = %(org)s AND c.period_id IN ({{periods}})
        AND c.rolled_up_score IS NOT NULL AND d.parent_id IN ({{parents}})
      GROUP BY d.parent_id, c.period_id
    ) ch
    WHERE {T["card"]}.organization_id = %(org)s AND {T["card"]}.department_id = ch.parent_id
      AND {T["card"]}.period_id = ch.period_id
    """

ORG_SQL = f"""
    INSERT INTO {T["org"]} (organization_id, period_id, management_index, business_index,
      company_index, balance_gap, management_coverage, business_coverage, management_count,
      business_count, computed_at)
    WITH x AS (
      SELECT c.period_id,
        AVG(CASE WHEN d.kind = 'management' THEN c.score END) AS mi,
        AVG(CASE WHEN d.kind = 'business' THEN c.score END) AS bi,
        SUM(CASE WHEN d.kind = 'management' THEN c.weight_with_actual ELSE 0 END) AS mh,
        SUM(CASE WHEN d.kind = 'management' THEN c.weight_total ELSE 0 END) AS mt,
        SUM(CASE WHEN d.kind = 'business' THEN c.weight_with_actual ELSE 0 END) AS bh,
        SUM(CASE WHEN d.kind = 'business' THEN c.weight_total ELSE 0 END) AS bt,
        SUM(CASE WHEN d.kind = 'management' AND c.score IS NOT NULL THEN 1 ELSE 0 END) AS mn,
        SUM(CASE WHEN d.kind = 'business' AND c.score IS NOT NULL THEN 1 ELSE 0 END) AS bn
      FROM {T["card"]} c JOIN {T["dept"]} d ON d.id = c.department_id
      WHERE c.organization_id = %(org)s AND c.period_id IN ({{periods}})
      GROUP BY c.period_id
    ),
    p AS (SELECT id FROM {T["period"]} WHERE organization_id = %(org)s AND id IN ({{periods}}))
    SELECT %(org)s, p.id, x.mi, x.bi,
      CASE WHEN x.mi IS NULL THEN x.bi WHEN x.bi IS NULL THEN x.mi
           ELSE CAST(%(m)s AS NUMERIC) * x.mi + (1 - CAST(%(m)s AS NUMERIC)) * x.bi END,
      x.bi - x.mi,
      CASE WHEN x.mt > 0 THEN (1.0 * x.mh) / x.mt ELSE 0 END,
      CASE WHEN x.bt > 0 THEN (1.0 * x.bh) / x.bt ELSE 0 END,
      COALESCE(x.mn, 0), COALESCE(x.bn, 0), %(now)s
    FROM p LEFT JOIN x ON x.period_id = p.id WHERE 1 = 1
    ON CONFLICT (organization_id, period_id) DO UPDATE SET
      management_index = excluded.management_index, business_index = excluded.business_index,
      company_index = excluded.company_index, balance_gap = excluded.balance_gap,
      management_coverage = excluded.management_coverage,
      business_coverage = excluded.business_coverage,
      management_count = excluded.management_count, business_count = excluded.business_count,
      computed_at = excluded.computed_at
    """

GOALS_SQL = f"""
    UPDATE {T["goal"]} SET computed_at = %(now)s, progress = (
      SELECT SUM(1.0 * gl.weight * l.score)
        / NULLIF(SUM(CASE WHEN l.score IS NOT NULL THEN gl.weight ELSE 0 END), 0)
      FROM {T["link"]} gl JOIN {T["line"]} l ON l.kpi_id = gl.kpi_id
        AND l.period_id = {T["goal"]}.period_id AND l.organization_id = gl.organization_id
      WHERE gl.goal_id = {T["goal"]}.id AND gl.organization_id = %(org)s AND l.scored)
    WHERE organization_id = %(org)s AND period_id IN ({{periods}})
    """

DONE_SQL = f"""
    DELETE FROM {T["pending"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND requested_at <= %(started)s
    """


def _tree_levels(org: Organization) -> list[list[int]]:
    """Parents grouped by depth, deepest first (a parent is updated after its children)."""
    parents = dict(
        Department.objects.for_org(org).filter(is_active=True).values_list("id", "parent_id")
    )
    depth: dict[int, int] = {}

    def level(d: int) -> int:
        if d not in depth:
            p = parents.get(d)
            depth[d] = 0 if p is None or p not in parents else level(p) + 1
        return depth[d]

    by_level: dict[int, list[int]] = {}
    for p in parents.values():
        if p is not None and p in parents:
            by_level.setdefault(level(p), []).append(p)
    return [sorted(set(by_level[lvl])) for lvl in sorted(by_level, reverse=True)]


def recalculate(
    *,
    org: Organization,
    period_ids: Iterable[int],
    started: datetime | None = None,
    on_part_done: PartDone | None = None,
) -> RollupResult:
    """Recompute the scorecards of the organization for these periods (and nothing else),
    then clear their recalculation marks made before `started`. Idempotent; runs that share
    a period are serialised by an advisory lock per period.

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
        return _finished(_recalculate_part(org, period_ids, started), on_part_done)
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
            pool.submit(_part_in_thread, org, part, started, on_part_done) for part in parts if part
        ]
        results = [f.result() for f in futures]  # the first error, after every part ended
    return RollupResult(
        periods=sum(r.periods for r in results),
        lines=sum(r.lines for r in results),
        scorecards=sum(r.scorecards for r in results),
    )


# The work of a period, in months' worth: a month's lines pass its actuals through; a
# quarter or a year writes as many lines but first groups the months it contains (each
# grouped actual costs about a fifth of a written line; measured by `benchmark rollup`).
PERIOD_WEIGHT = {"month": 1.0, "quarter": 1 + 3 / 5, "year": 1 + 12 / 5}


def deal(kinds: list[tuple[int, str]], parts: int) -> list[list[int]]:
    """(period id, kind) pairs dealt into `parts` parts of about equal work: the heaviest
    first, each to the part with the least so far (ties: the first). Ids sorted per part."""
    load = [0.0] * parts
    dealt: list[list[int]] = [[] for _ in range(parts)]
    heaviest_first = sorted(kinds, key=lambda pk_kind: -PERIOD_WEIGHT.get(pk_kind[1], 1.0))
    for pk, kind in heaviest_first:  # a stable sort: equal weights keep their order
        n = load.index(min(load))
        load[n] += PERIOD_WEIGHT.get(kind, 1.0)
        dealt[n].append(pk)
    return [sorted(part) for part in dealt]


def _part_in_thread(
    org: Organization, period_ids: list[int], started: datetime, on_part_done: PartDone | None
) -> RollupResult:
    """One part on this thread's own connection, closed afterwards."""
    try:
        return _finished(_recalculate_part(org, period_ids, started), on_part_done)
    finally:
        connections.close_all()


def _finished(result: RollupResult, on_part_done: PartDone | None) -> RollupResult:
    if on_part_done is not None:
        on_part_done(result)
    return result


def _recalculate_part(org: Organization, period_ids: list[int], started: datetime) -> RollupResult:
    """These periods in one transaction."""
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
        cursor.execute(STALE_LINES_SQL.format(periods=periods), params)
        # Periods computed for the first time have no lines to update: a plain insert.
        cursor.execute(FRESH_SQL.format(periods=periods), params)
        fresh = cursor.fetchone()[0] == 0
        cursor.execute(_plain_lines_sql(vendor, fresh).format(periods=periods), params)
        lines = max(cursor.rowcount, 0)
        for code in order:
            pk, expression = by_code[code]
            cursor.execute(
                _formula_lines_sql(pk, expression, vendor).format(periods=periods), params
            )
            lines += max(cursor.rowcount, 0)
        cursor.execute(STALE_CARDS_SQL.format(periods=periods), params)
        cursor.execute(SCORECARDS_SQL.format(periods=periods), params)
        cards = max(cursor.rowcount, 0)
        for parents in _tree_levels(org):
            cursor.execute(ROLLED_UP_SQL.format(periods=periods, parents=_ids(parents)), params)
        cursor.execute(ORG_SQL.format(periods=periods), params)
        cursor.execute(GOALS_SQL.format(periods=periods), params)
        cursor.execute(DONE_SQL.format(periods=periods), params)
        dashboard_cache.bump(org.pk)  # when this commits
    return RollupResult(periods=len(period_ids), lines=lines, scorecards=cards)
