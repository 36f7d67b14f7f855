"""The Kpi → scoring rule mapping, written once (SPEC §3-§4).

A KPI's settings (its indicator's direction and aggregation, target, threshold, upper end
of the band, cap and target period) become a ``metrics.scoring.KpiRule`` here and nowhere
else: the entry page's score preview (``metrics.services.actuals``), the KPI grid and
templates (``metrics.services.kpis.rule_errors``) and the demo data all ask these
functions. The roll-up computes the same rule in SQL (``metrics.scoring_sql``).
"""

from __future__ import annotations

from decimal import Decimal

from . import scoring

__all__ = ["rule_for", "stated_rule"]


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


def rule_for(kpi, *, period_months: int) -> scoring.KpiRule | None:
    """The rule that scores a ``metrics.models.Kpi`` (its ``indicator`` loaded) in a period
    of ``period_months`` months (``scoring.rule_for_period``: a ``sum`` indicator's target,
    threshold and band scale with the months); ``None`` when the KPI is not scored in such
    a period (no target, or a period shorter than its target period). Whether the KPI
    counts at all (active, weight above 0) is the caller's question."""
    return scoring.rule_for_period(
        direction=kpi.indicator.direction,
        aggregation=kpi.indicator.aggregation,
        target=kpi.target,
        threshold=kpi.threshold,
        target_max=kpi.target_max,
        cap=kpi.cap,
        target_period_months=scoring.months_in(kpi.target_period),
        period_months=period_months,
    )
