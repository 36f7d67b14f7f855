"""The Kpi → scoring rule mapping, written once (SPEC §3-§4).

A KPI's settings (its indicator's direction and aggregation, target, threshold, upper end
of the band, cap and target period) become a ``metrics.scoring.KpiRule`` here and nowhere
else: the entry page's score preview (``metrics.services.actuals``), the KPI grid and
templates (``metrics.services.kpis.rule_errors``) and the demo data all ask these
functions. The roll-up computes the same rule in SQL (``metrics.scoring_sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from . import scoring

__all__ = ["not_scored_reason", "rule_for", "stated_rule"]


def stated_rule(
    *,
    direction: scoring.Direction | str,
    target: Decimal | None,
    threshold: Decimal | None,
    target_max: Decimal | None,
    cap: Decimal | None = None,
) -> scoring.KpiRule:
    """The rule as the settings state it, for the KPI's own target period (unscaled).

    A missing cap (a form left empty, a template item) is the default cap of 120."""
    return scoring.KpiRule(
        direction=scoring.Direction(direction),
        target=target,
        threshold=threshold,
        target_max=target_max,
        cap=scoring.DEFAULT_CAP if cap is None else cap,
    )


def rule_for(
    kpi,
    *,
    period_months: int,
    own: scoring.PeriodTarget | None = None,
    parts: Sequence[scoring.PeriodTarget | None] = (),
) -> scoring.KpiRule | None:
    """The rule that scores a ``metrics.models.Kpi`` (its ``indicator`` loaded) in a period
    of ``period_months`` months (``scoring.rule_for_period``: a ``sum`` indicator's target,
    threshold and band scale with the months); ``None`` when the KPI is not scored in such
    a period (no target, or a period shorter than its target period). Whether the KPI
    counts at all (active, weight above 0) is the caller's question.

    ``own`` and ``parts``: the period's own target and those of its entry periods
    (``scoring.rule_with_period_targets``; metrics.period_targets.period_rules)."""
    return scoring.rule_with_period_targets(
        own=own,
        parts=parts,
        direction=kpi.indicator.direction,
        aggregation=kpi.indicator.aggregation,
        target=kpi.target,
        threshold=kpi.threshold,
        target_max=kpi.target_max,
        cap=kpi.cap,
        target_period_months=scoring.months_in(kpi.target_period),
        period_months=period_months,
    )


# Why a KPI is not scored in a period (issue 16 §6: "not scored" always says why).
NOT_SCORED_INACTIVE = "inactive"
NOT_SCORED_WEIGHT_0 = "weight_0"
NOT_SCORED_NO_TARGET = "no_target"
NOT_SCORED_TARGET_PERIOD = "target_period"
NOT_SCORED_CHANGED = "changed"  # a stored line whose KPI settings changed since


def not_scored_reason(kpi, *, period_kind: str, weight: Decimal | None = None) -> str | None:
    """Why a ``metrics.models.Kpi`` (its ``indicator`` loaded) is not scored in a period of
    ``period_kind``, as one of the ``NOT_SCORED_*`` codes; ``None`` when it is scored.
    ``weight`` is the weight to judge by (a scorecard line's, frozen when it was computed),
    by default the KPI's own. The same cases the roll-up leaves a line unscored for (no
    target for the period, ``scoring.rule_for_period``), plus an inactive KPI."""
    if not kpi.is_active:
        return NOT_SCORED_INACTIVE
    if (kpi.weight if weight is None else weight) <= 0:
        return NOT_SCORED_WEIGHT_0
    if kpi.target is None:
        return NOT_SCORED_NO_TARGET
    scaled = scoring.scale_target(
        kpi.target,
        kpi.indicator.aggregation,
        scoring.months_in(kpi.target_period),
        scoring.months_in(period_kind),
    )
    if scaled is None:
        return NOT_SCORED_TARGET_PERIOD
    return None
