"""Translatable renderings of the pure engine's messages (metrics.scoring, metrics.formulas
speak English constants; pages and the API show these)."""

from django.utils.translation import gettext_lazy as _

from . import scoring

TARGET_MESSAGES = {
    scoring.MSG_TARGET_REQUIRED: _("Set a target: a KPI with a weight above 0 is scored."),
    scoring.MSG_NOT_FINITE: _("Enter a finite number."),
    scoring.MSG_THRESHOLD_EQUALS_TARGET: _(
        "The threshold (the value that scores 0) must differ from the target."
    ),
    scoring.MSG_THRESHOLD_NOT_BELOW_TARGET: _(
        "For a higher-is-better KPI the threshold (the value that scores 0) must be below "
        "the target."
    ),
    scoring.MSG_THRESHOLD_NOT_ABOVE_TARGET: _(
        "For a lower-is-better KPI the threshold (the value that scores 0) must be above "
        "the target."
    ),
    scoring.MSG_THRESHOLD_REQUIRED_HIGHER: _(
        "Set a threshold (the value that scores 0): the default of 0 only works for a "
        "higher-is-better target above 0."
    ),
    scoring.MSG_THRESHOLD_REQUIRED_LOWER: _(
        "Set a threshold (the value that scores 0): the default of twice the target only works "
        "for a lower-is-better target above 0."
    ),
    scoring.MSG_TARGET_MAX_REQUIRED: _("Set the upper end of the target range."),
    scoring.MSG_TARGET_MAX_BELOW_TARGET: _(
        "The upper end of the target range must not be below the target."
    ),
    scoring.MSG_RANGE_THRESHOLD_REQUIRED: _(
        "Set a threshold: the distance outside the target range at which the score reaches 0."
    ),
    scoring.MSG_RANGE_THRESHOLD_NOT_POSITIVE: _(
        "The threshold of a within-range KPI is a distance and must be greater than 0."
    ),
    scoring.MSG_CAP_TOO_LOW: _("The cap (the highest score) must be at least 100."),
}


def target_message(message: str):
    return TARGET_MESSAGES.get(message, message)


def formula_message(exc) -> str:
    """A FormulaError in the user's language (the technical detail stays as written)."""
    if exc.kind == "unknown":
        return _("The formula refers to unknown indicator codes: %(codes)s.") % exc.params
    if exc.kind == "cycle":
        return _("The formula refers to itself: %(chain)s.") % exc.params
    return _(
        "The formula is not valid (%(detail)s). Use numbers, indicator codes, + - * / and "
        "parentheses."
    ) % {"detail": str(exc)}


def not_scored_message(reason: str | None, kpi) -> str:
    """Why a KPI is not scored, as the pages and the API say it ("weight 0", "yearly
    target: scored in the year"); empty when it is scored. `reason` is one of
    metrics.scoring_rules.NOT_SCORED_*."""
    if reason is None:
        return ""
    if reason == "target_period":
        return str(
            {
                "quarter": _("quarterly target: scored in the quarter"),
                "year": _("yearly target: scored in the year"),
            }.get(kpi.target_period, _("target set for a longer period"))
        )
    return str(
        {
            "inactive": _("inactive"),
            "weight_0": _("weight 0, tracked only"),
            "no_target": _("no target"),
            "changed": _("its settings changed: being recalculated"),
        }.get(reason, reason)
    )
