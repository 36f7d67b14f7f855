"""The roll-up: actuals → scorecard lines → department scorecards → hierarchy → organization
indices → goal progress, for one organization and a set of periods, in one transaction.

Set-based SQL: a handful of INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE statements over
all the rows of the organization and periods at once (plus one per formula indicator and one
UPDATE per tree level), never a query per row. The formulas are those of SPEC §3–§4, and
metrics.scoring is their reference: tests check that both agree on generated data.

The statements run on PostgreSQL and, for the `make run` demo, on SQLite: divisions are
written as `(1.0 * a) / NULLIF(b, 0)`, clamps as CASE, "latest month" per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from departments.models import Department
from metrics import formulas
from metrics.models import (
    Actual,
    Indicator,
    Kpi,
    PendingRecalculation,
    Period,
)

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
ADVISORY_KEY = 7_301_966  # "roll-up" namespace for pg_advisory_xact_lock(key, org)


@dataclass
class RollupResult:
    periods: int
    lines: int
    scorecards: int


def _ids(values) -> str:
    """A literal id list for IN (…): our own integer ids, never user text."""
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _targets_and_scores(source: str) -> str:
    """SELECT list over `source` (columns: kpi_id, department_id, period_id, weight, actual,
    n, target, threshold, target_max, cap, direction, aggregation, months, tp_months) that
    computes the period's target (SPEC §4), the score (SPEC §3) and the status."""
    return f"""
    t AS (
      SELECT s.*,
        CASE WHEN s.target IS NULL OR s.weight <= 0 THEN NULL
             WHEN s.aggregation = 'sum' THEN (1.0 * s.target * s.months) / s.tp_months
             WHEN s.months >= s.tp_months THEN s.target END AS p_target,
        CASE WHEN s.aggregation = 'sum' THEN (1.0 * s.months) / s.tp_months ELSE 1 END AS factor
      FROM {source} s
    ),
    r AS (
      SELECT t.*,
        CASE WHEN t.direction = 'lower_is_better'
             THEN COALESCE(t.threshold * t.factor, 2 * t.p_target)
             WHEN t.direction = 'higher_is_better' THEN COALESCE(t.threshold * t.factor, 0)
             ELSE t.threshold END AS p_threshold,
        t.target_max * t.factor AS p_target_max
      FROM t
    ),
    raw AS (
      SELECT r.*,
        CASE WHEN r.p_target IS NULL OR r.actual IS NULL THEN NULL
             WHEN r.direction = 'higher_is_better'
               THEN (100.0 * (r.actual - r.p_threshold)) / NULLIF(r.p_target - r.p_threshold, 0)
             WHEN r.direction = 'lower_is_better'
               THEN (100.0 * (r.p_threshold - r.actual)) / NULLIF(r.p_threshold - r.p_target, 0)
             WHEN r.actual < r.p_target
               THEN 100 - (100.0 * (r.p_target - r.actual)) / NULLIF(r.p_threshold, 0)
             WHEN r.actual > r.p_target_max
               THEN 100 - (100.0 * (r.actual - r.p_target_max)) / NULLIF(r.p_threshold, 0)
             ELSE 100 END AS raw_score,
        CASE WHEN r.direction = 'within_range' THEN 100 ELSE r.cap END AS top
      FROM r
    ),
    scored AS (
      SELECT raw.*,
        CASE WHEN raw.raw_score IS NULL THEN NULL
             WHEN raw.raw_score < 0 THEN 0
             WHEN raw.raw_score > raw.top THEN raw.top
             ELSE raw.raw_score END AS score
      FROM raw
    )
    SELECT %(org)s, department_id, period_id, kpi_id, weight, actual, n,
      p_target, p_threshold, p_target_max, (p_target IS NOT NULL), score,
      CASE WHEN score IS NULL THEN 'grey' WHEN score >= 100 THEN 'green'
           WHEN score >= %(amber)s THEN 'amber' ELSE 'red' END,
      %(now)s
    FROM scored WHERE 1 = 1
    """


LINE_COLUMNS = """(organization_id, department_id, period_id, kpi_id, weight, actual,
    months_with_value, target, threshold, target_max, scored, score, status, computed_at)"""
LINE_UPSERT = """
    ON CONFLICT (organization_id, kpi_id, period_id) DO UPDATE SET
      department_id = excluded.department_id, weight = excluded.weight,
      actual = excluded.actual, months_with_value = excluded.months_with_value,
      target = excluded.target, threshold = excluded.threshold,
      target_max = excluded.target_max, scored = excluded.scored, score = excluded.score,
      status = excluded.status, computed_at = excluded.computed_at"""


def _kpis_cte(formula_indicator: int | None) -> str:
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
    pairs AS (
      SELECT k.*, p.id AS period_id, p.start AS p_start, p."end" AS p_end, p.months
      FROM k CROSS JOIN p WHERE p.months >= k.f_months
    )"""


def _last_value_sql(vendor: str) -> tuple[str, str]:
    """(aggregate column in `agg`, expression in `v`) for the latest month with a value."""
    if vendor == "postgresql":
        return "(array_agg(a.value ORDER BY m.start DESC))[1] AS last_value", "agg.last_value"
    return (
        "NULL AS last_value",
        f"""(SELECT a2.value FROM {T["actual"]} a2 JOIN {T["period"]} m2 ON m2.id = a2.period_id
             WHERE a2.organization_id = %(org)s AND a2.kpi_id = pr.id AND m2.kind = pr.frequency
               AND m2.start >= pr.p_start AND m2."end" <= pr.p_end
             ORDER BY m2.start DESC LIMIT 1)""",
    )


def _plain_lines_sql(vendor: str) -> str:
    last_agg, last_expr = _last_value_sql(vendor)
    return f"""
    INSERT INTO {T["line"]} {LINE_COLUMNS}
    WITH {_kpis_cte(None)},
    agg AS (
      SELECT pr.id AS kpi_id, pr.period_id, COUNT(*) AS n, SUM(a.value) AS s,
        AVG(a.value) AS av, MIN(a.value) AS mn, MAX(a.value) AS mx, {last_agg}
      FROM pairs pr
      JOIN {T["actual"]} a ON a.organization_id = %(org)s AND a.kpi_id = pr.id
      JOIN {T["period"]} m ON m.id = a.period_id AND m.kind = pr.frequency
        AND m.start >= pr.p_start AND m."end" <= pr.p_end
      GROUP BY pr.id, pr.period_id
    ),
    v AS (
      SELECT pr.id AS kpi_id, pr.department_id, pr.period_id, pr.weight, pr.target,
        pr.threshold, pr.target_max, pr.cap, pr.direction, pr.aggregation, pr.months,
        pr.tp_months, COALESCE(agg.n, 0) AS n,
        CASE pr.aggregation WHEN 'sum' THEN agg.s WHEN 'average' THEN agg.av
          WHEN 'min' THEN agg.mn WHEN 'max' THEN agg.mx
          WHEN 'last' THEN {last_expr} END AS actual
      FROM pairs pr LEFT JOIN agg ON agg.kpi_id = pr.id AND agg.period_id = pr.period_id
    ),
    {_targets_and_scores("v")}
    {LINE_UPSERT}
    """


def _formula_lines_sql(indicator_id: int, expression: str) -> str:
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
      SELECT pr.id AS kpi_id, pr.department_id, pr.period_id, pr.weight, pr.target,
        pr.threshold, pr.target_max, pr.cap, pr.direction, pr.aggregation, pr.months,
        pr.tp_months, {value} AS actual
      FROM pairs pr LEFT JOIN comp ON comp.department_id = pr.department_id
        AND comp.period_id = pr.period_id
    ),
    v AS (SELECT v0.*, CASE WHEN v0.actual IS NULL THEN 0 ELSE 1 END AS n FROM v0),
    {_targets_and_scores("v")}
    {LINE_UPSERT}
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
      SELECT id, start, "end" FROM {T["period"]}
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
    inputs AS (
      SELECT a.department_id, p.id AS period_id, COUNT(*) AS n, MAX(a.entered_at) AS latest
      FROM {T["actual"]} a JOIN {T["period"]} m ON m.id = a.period_id
      JOIN p ON m.start >= p.start AND m."end" <= p."end"
      WHERE a.organization_id = %(org)s
      GROUP BY a.department_id, p.id
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
           WHEN score >= %(amber)s THEN 'amber' ELSE 'red' END,
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
           ELSE %(m)s * x.mi + (1 - %(m)s) * x.bi END,
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


def _tree_levels(org) -> list[list[int]]:
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


def recalculate(*, org, period_ids, started=None) -> RollupResult:
    """Recompute the scorecards of the organization for these periods (and nothing else),
    then clear their recalculation marks made before `started`. Idempotent; concurrent runs
    for one organization are serialised by an advisory lock."""
    started = started or timezone.now()
    period_ids = sorted({int(p) for p in period_ids})
    if not period_ids:
        return RollupResult(0, 0, 0)
    vendor = connection.vendor
    params = {
        "org": org.pk,
        "amber": org.amber_line,
        "policy": org.missing_actual_policy,
        "m": org.management_weight,
        "now": timezone.now(),
        "started": started,
    }
    periods = _ids(period_ids)
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
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_KEY, org.pk])
        cursor.execute(STALE_LINES_SQL.format(periods=periods), params)
        cursor.execute(_plain_lines_sql(vendor).format(periods=periods), params)
        lines = max(cursor.rowcount, 0)
        for code in order:
            pk, expression = by_code[code]
            cursor.execute(_formula_lines_sql(pk, expression).format(periods=periods), params)
            lines += max(cursor.rowcount, 0)
        cursor.execute(STALE_CARDS_SQL.format(periods=periods), params)
        cursor.execute(SCORECARDS_SQL.format(periods=periods), params)
        cards = max(cursor.rowcount, 0)
        for parents in _tree_levels(org):
            cursor.execute(ROLLED_UP_SQL.format(periods=periods, parents=_ids(parents)), params)
        cursor.execute(ORG_SQL.format(periods=periods), params)
        cursor.execute(GOALS_SQL.format(periods=periods), params)
        cursor.execute(DONE_SQL.format(periods=periods), params)
    return RollupResult(periods=len(period_ids), lines=lines, scorecards=cards)
