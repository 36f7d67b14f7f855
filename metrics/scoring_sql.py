"""The scoring rule of SPEC §3-§4 as SQL expressions: what the roll-up computes every stored
score with (``scorecards.rollup``, set-based over all KPIs and periods at once).

``metrics.scoring`` is the reference: each function here names the reference function it
mirrors, and tests/metrics/test_scoring_sql.py evaluates these expressions on PostgreSQL over
the SPEC's worked examples and generated rules and compares them with it.

Each function returns an SQL expression as text, built from the column names or SQL
expressions it is given (``"k.target"``, ``"s.actual"``) and from parameter placeholders
where the value comes from the organization (``"%(amber)s"``). The arguments are our own
column names, never user input. The expressions run on PostgreSQL and, for the demo, on
SQLite: divisions are written ``(1.0 * a) / NULLIF(b, 0)`` and the clamp per dialect.

The rule, from a KPI's settings to a status, in the order the roll-up evaluates it:

1. ``months_sql``: the months of a period kind (``scoring.months_in``);
2. ``period_target_sql``, ``period_factor_sql``: the target for a period of a given length
   and the factor that scales the other settings (``scoring.scale_target``,
   ``scoring.rule_for_period``);
3. ``period_threshold_sql``, ``period_target_max_sql``: the threshold ``F`` actually used
   (``scoring.effective_threshold``) and the upper end of the band;
4. ``inverse_span_sql``, ``score_top_sql``: ``100 / (T - F)`` (``100 / F`` within a range) and
   the highest score (the cap, 100 within a range), once per KPI and period length;
5. ``kpi_score_sql``: the score of an actual (``scoring.kpi_score``);
6. ``status_sql``: its traffic light (``scoring.kpi_status``);
7. ``department_score_sql``, ``coverage_sql``: a department's score and coverage from the
   sums of its lines (``scoring.department_score``).

The actual each of these is given is the value that counts (``scoring.counted_value``: a
value awaiting confirmation, or rejected, counts with the one confirmed before it, else not
at all). Its SQL form is the generated column ``metrics_actual.counted_value``
(``metrics.models.COUNTED_VALUE``), which the roll-up reads and filters on (``IS NOT NULL``);
tests/metrics/test_scoring_sql.py compares it with the reference too.
"""

from __future__ import annotations

__all__ = [
    "clamp_sql",
    "coverage_sql",
    "department_score_sql",
    "inverse_span_sql",
    "kpi_score_sql",
    "months_sql",
    "period_factor_sql",
    "period_target_max_sql",
    "period_target_sql",
    "period_threshold_sql",
    "score_top_sql",
    "status_sql",
]


def months_sql(kind: str) -> str:
    """Months in a period of kind ``kind`` (month 1, quarter 3, year 12): ``scoring.months_in``."""
    return f"CASE {kind} WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 ELSE 12 END"


def period_target_sql(
    *, target: str, weight: str, aggregation: str, months: str, target_months: str
) -> str:
    """The target for a period of ``months`` months, NULL when the KPI is not scored there
    (``scoring.scale_target``; SPEC §4).

    NULL without a target or with a weight of 0 or less (tracked, not scored); ``sum``
    indicators scale the target by ``months / target_months``; the others keep it for
    periods as long as their target period or longer, NULL for shorter ones."""
    return (
        f"CASE WHEN {target} IS NULL OR {weight} <= 0 THEN NULL "
        f"WHEN {aggregation} = 'sum' THEN (1.0 * {target} * {months}) / {target_months} "
        f"WHEN {months} >= {target_months} THEN {target} END"
    )


def period_factor_sql(*, aggregation: str, months: str, target_months: str) -> str:
    """The factor that scales an explicit threshold and the upper end of the band for a
    period of ``months`` months: ``months / target_months`` for ``sum`` indicators, else 1
    (``scoring.rule_for_period``; SPEC §4)."""
    return f"CASE WHEN {aggregation} = 'sum' THEN (1.0 * {months}) / {target_months} ELSE 1 END"


def period_threshold_sql(*, direction: str, threshold: str, factor: str, target: str) -> str:
    """The threshold ``F`` used for scoring in the period (``scoring.effective_threshold``;
    SPEC §3-§4): lower_is_better the scaled threshold or ``2T``; higher_is_better the scaled
    threshold or 0; within_range the threshold (a distance from the band), scaled like the
    band (``scoring.rule_for_period``).

    ``target`` is the period's target (``period_target_sql``)."""
    return (
        f"CASE WHEN {direction} = 'lower_is_better' "
        f"THEN COALESCE({threshold} * {factor}, 2 * {target}) "
        f"WHEN {direction} = 'higher_is_better' THEN COALESCE({threshold} * {factor}, 0) "
        f"ELSE {threshold} * {factor} END"
    )


def period_target_max_sql(*, target_max: str, factor: str) -> str:
    """The upper end of the band in the period: scaled by ``factor`` (NULL stays NULL)."""
    return f"{target_max} * {factor}"


def inverse_span_sql(*, direction: str, target: str, threshold: str) -> str:
    """``100 / (T - F)`` (within_range: ``100 / F``), computed once per KPI and period
    length: within a range a score is one multiplication (``kpi_score_sql``). NULL when the
    KPI is not scored in the period (no ``target``) or the span is 0."""
    return (
        f"CASE WHEN {target} IS NULL THEN NULL "
        f"WHEN {direction} = 'within_range' THEN 100.0 / NULLIF({threshold}, 0) "
        f"ELSE 100.0 / NULLIF({target} - {threshold}, 0) END"
    )


def score_top_sql(*, direction: str, cap: str) -> str:
    """The highest score: the cap ``C``, or 100 within a range (SPEC §3)."""
    return f"CASE WHEN {direction} = 'within_range' THEN 100 ELSE {cap} END"


def clamp_sql(vendor: str, expr: str, top: str) -> str:
    """``expr`` clamped to [0, ``top``], evaluating ``expr`` once (NULL stays NULL)."""
    if vendor == "postgresql":  # GREATEST/LEAST ignore NULLs; the caller guards them
        return f"GREATEST(0, LEAST({top}, {expr}))"
    return f"MAX(0, MIN({top}, {expr}))"


def kpi_score_sql(
    *,
    vendor: str,
    actual: str,
    direction: str,
    target: str,
    threshold: str,
    target_max: str,
    inv: str,
    top: str,
) -> str:
    """The score of an actual, unrounded (``scoring.kpi_score``; SPEC §3); NULL without an
    actual or when the KPI is not scored in the period (``inv`` NULL).

    higher and lower are one formula: ``100 (A - F) / (T - F) = 100 (F - A) / (F - T)``,
    divided rather than multiplied by a rounded ``100 / (T - F)``, so that an actual on
    target scores exactly 100 (green) whatever ``T - F``; within_range scores
    ``100 - d * inv`` with ``d`` the distance to the band and ``inv = 100 / F``
    (``inverse_span_sql``; exactly 100 inside the band). Clamped to [0, ``top``]
    (``score_top_sql``). ``target``, ``threshold`` and ``target_max`` are the period's
    (``period_*_sql``); ``inv`` is NULL when the KPI is not scored in the period."""
    distance = (
        f"CASE WHEN {actual} < {target} THEN {target} - {actual} "
        f"WHEN {actual} > {target_max} THEN {actual} - {target_max} ELSE 0 END"
    )
    raw = (
        f"CASE WHEN {direction} = 'within_range' THEN 100 - ({distance}) * {inv} "
        f"ELSE (100.0 * ({actual} - {threshold})) / ({target} - {threshold}) END"
    )
    return (
        f"CASE WHEN {actual} IS NULL OR {inv} IS NULL THEN NULL "
        f"ELSE {clamp_sql(vendor, raw, top)} END"
    )


def status_sql(score: str, amber: str) -> str:
    """The traffic light of a KPI or department score (``scoring.kpi_status``; SPEC §3):
    grey without a score, green from 100, amber from the organization's amber line
    ``amber`` (an SQL expression: the roll-up passes its parameter ``"%(amber)s"``), else
    red."""
    return (
        f"CASE WHEN {score} IS NULL THEN 'grey' WHEN {score} >= 100 THEN 'green' "
        f"WHEN {score} >= CAST({amber} AS NUMERIC) THEN 'amber' ELSE 'red' END"
    )


def department_score_sql(
    *, weight_all: str, weight_scored: str, weighted_sum: str, policy: str
) -> str:
    """A department's score from the sums of its lines (``scoring.department_score``;
    SPEC §3): ``weighted_sum`` is Σ w·s over the lines with a score, ``weight_scored`` their
    Σ w, ``weight_all`` the Σ w of every scored line. NULL when no line has a score; the
    weighted mean over the lines with a score, or with the ``zero`` ``policy`` (an SQL
    expression: the roll-up passes ``"%(policy)s"``) over all of them. The sums may be NULL
    (a department without lines)."""
    return (
        f"CASE WHEN COALESCE({weight_scored}, 0) <= 0 THEN NULL "
        f"WHEN {policy} = 'zero' THEN (1.0 * {weighted_sum}) / NULLIF({weight_all}, 0) "
        f"ELSE (1.0 * {weighted_sum}) / {weight_scored} END"
    )


def coverage_sql(*, weight_all: str, weight_scored: str) -> str:
    """A department's coverage: the weight of its lines with a score over the weight of all
    its scored lines, 0 when it has none (``scoring.department_score``)."""
    return f"CASE WHEN {weight_all} > 0 THEN (1.0 * {weight_scored}) / {weight_all} ELSE 0 END"
