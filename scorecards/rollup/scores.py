"""The roll-up's later steps, over the lines written: department scorecards, the hierarchy
(rolled-up scores, parents after their children), the organization's indices, goal progress
and the recalculation marks cleared (see scorecards.rollup)."""

from __future__ import annotations

from django.db import connection

from departments.models import Department, Organization
from metrics.scoring_sql import coverage_sql, department_score_sql, months_sql, status_sql

from .lines import MONTH_MAP, T, _ids

SCORECARDS_SQL = f"""
    INSERT INTO {T["card"]} (organization_id, department_id, period_id, score, rolled_up_score,
      coverage, weight_total, weight_with_actual, status, kpi_count, red_count, inputs_count,
      inputs_latest, computed_at)
    WITH p AS (
      SELECT id, start, "end", {months_sql("kind")} AS months FROM {T["period"]}
      WHERE organization_id = %(org)s AND id IN ({{periods}})
    ),
    d AS (SELECT id FROM {T["dept"]} WHERE organization_id = %(org)s AND is_active {{dd}}),
    l AS (
      SELECT department_id, period_id,
        SUM(CASE WHEN scored THEN weight ELSE 0 END) AS w_all,
        SUM(CASE WHEN scored AND score IS NOT NULL THEN weight ELSE 0 END) AS w_have,
        SUM(CASE WHEN scored AND score IS NOT NULL THEN weight * score ELSE 0 END) AS ws,
        SUM(CASE WHEN scored THEN 1 ELSE 0 END) AS n,
        SUM(CASE WHEN status = 'red' THEN 1 ELSE 0 END) AS red
      FROM {T["line"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}}) {{xd}}
      GROUP BY department_id, period_id
    ),
    {MONTH_MAP},
    entered AS (
      SELECT a.department_id, a.period_id, COUNT(*) AS n, MAX(a.entered_at) AS latest
      FROM {T["actual"]} a WHERE a.organization_id = %(org)s {{ad}}
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
        {
    department_score_sql(
        weight_all="l.w_all", weight_scored="l.w_have", weighted_sum="l.ws", policy="%(policy)s"
    )
} AS score,
        COALESCE(l.n, 0) AS n, COALESCE(l.red, 0) AS red,
        COALESCE(inputs.n, 0) AS inputs_n, inputs.latest
      FROM d CROSS JOIN p
      LEFT JOIN l ON l.department_id = d.id AND l.period_id = p.id
      LEFT JOIN inputs ON inputs.department_id = d.id AND inputs.period_id = p.id
      {{pd}}
    )
    SELECT %(org)s, department_id, period_id, score, score,
      {coverage_sql(weight_all="w_all", weight_scored="w_have")}, w_all, w_have,
      {status_sql("score", "%(amber)s")},
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
    DELETE FROM {T["card"]} AS c WHERE c.organization_id = %(org)s AND c.period_id IN ({{periods}})
      {{cd}} AND NOT EXISTS (
        SELECT 1 FROM {T["dept"]} d
        WHERE d.organization_id = %(org)s AND d.id = c.department_id AND d.is_active)
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
      FROM {T["dept"]} d JOIN {T["card"]} c ON c.department_id = d.id
        AND c.organization_id = d.organization_id
      WHERE d.organization_id = %(org)s AND d.parent_id IN ({{parents}})
        AND c.period_id IN ({{periods}}) AND c.rolled_up_score IS NOT NULL
      GROUP BY d.parent_id, c.period_id
    ) ch
    WHERE {T["card"]}.organization_id = %(org)s AND {T["card"]}.department_id = ch.parent_id
      AND {T["card"]}.period_id = ch.period_id
      -- ch already holds only these; said again so that the rows updated are found by
      -- their key even when the planner, on statistics older than the organization's
      -- scorecards, guesses one row for it and loops over the organization's every card
      -- (50 s for one save at 200 departments x 36 months; 30 ms with this)
      AND {T["card"]}.department_id IN ({{parents}}) AND {T["card"]}.period_id IN ({{periods}})
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

# The ancestors of the departments recomputed start again from their own score (as every
# card does in SCORECARDS_SQL) before the levels above add their children back.
RESET_ROLLED_UP_SQL = f"""
    UPDATE {T["card"]} SET rolled_up_score = score
    WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND department_id IN ({{ancestors}})
    """

# The marks a run claimed, each at the version it claimed: a mark requested again during
# the run has a higher version and survives for the next run.
CLAIMED_DONE_SQL = f"""
    DELETE FROM {T["pending"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND (id, version) IN (VALUES {{claimed}})
    """

DONE_SQL = f"""
    DELETE FROM {T["pending"]} WHERE organization_id = %(org)s AND period_id IN ({{periods}})
      AND requested_at <= %(started)s
    """


def tree_parents(org: Organization) -> dict[int, int | None]:
    """Each active department's parent (one query)."""
    return dict(
        Department.objects.for_org(org).filter(is_active=True).values_list("id", "parent_id")
    )


def tree_paths(org: Organization, departments: set[int]) -> tuple[dict[int, int | None], set[int]]:
    """The parents of these departments and of their active ancestors (the paths up to the
    roots), and which of them have active children: all `ancestors` and `tree_levels` need
    for them, in one query that reads a few rows of the tree, not all of it."""
    with connection.cursor() as cursor:
        cursor.execute(PATHS_UP_SQL.format(departments=_ids(sorted(departments))), {"org": org.pk})
        rows = cursor.fetchall()
    return {d: parent for d, parent, _n in rows}, {d for d, _parent, n in rows if n}


def ancestors(parents: dict[int, int | None], departments: set[int]) -> set[int]:
    """The active ancestors of these departments, up to the first inactive one (where the
    roll-up stops too: an active department under an inactive parent is a root)."""
    found: set[int] = set()
    for d in departments:
        p = parents.get(d) if d in parents else None
        while p is not None and p in parents and p not in found:
            found.add(p)
            p = parents[p]
    return found


def tree_levels(
    parents: dict[int, int | None],
    within: set[int] | None = None,
    with_children: set[int] | None = None,
) -> list[list[int]]:
    """Parents grouped by depth, deepest first (a parent is updated after its children);
    only those in `within` when given (the departments recomputed and their ancestors).
    The parents are those `parents` names, and those of `with_children` (the departments
    known to have children when `parents` holds only the paths up, `tree_paths`)."""
    depth: dict[int, int] = {}

    def level(d: int) -> int:
        if d not in depth:
            p = parents.get(d)
            depth[d] = 0 if p is None or p not in parents else level(p) + 1
        return depth[d]

    candidates = {p for p in parents.values() if p is not None} | (with_children or set())
    by_level: dict[int, list[int]] = {}
    for p in candidates:
        if p in parents and (within is None or p in within):
            by_level.setdefault(level(p), []).append(p)
    return [sorted(set(by_level[lvl])) for lvl in sorted(by_level, reverse=True)]


# The active departments given and their active ancestors, up to the first inactive one,
# each with its number of active children.
PATHS_UP_SQL = f"""
    WITH RECURSIVE up(id, parent_id) AS (
      SELECT id, parent_id FROM {T["dept"]}
      WHERE organization_id = %(org)s AND is_active AND id IN ({{departments}})
      UNION
      SELECT d.id, d.parent_id FROM {T["dept"]} d JOIN up ON d.id = up.parent_id
      WHERE d.organization_id = %(org)s AND d.is_active
    )
    SELECT up.id, up.parent_id, (
      SELECT COUNT(*) FROM {T["dept"]} c
      WHERE c.organization_id = %(org)s AND c.parent_id = up.id AND c.is_active)
    FROM up
    """


def _tree_levels(org: Organization) -> list[list[int]]:
    """Every parent of the organization, grouped by depth, deepest first."""
    return tree_levels(tree_parents(org))
