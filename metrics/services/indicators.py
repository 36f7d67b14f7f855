"""Writes to the indicator library: create, edit, retire; formulas checked before saving."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from perfhub.cache_versions import dashboard_stale
from perfhub.errors import save_unique

from .. import formulas
from ..messages import formula_message
from ..models import Aggregation, Indicator, Kpi
from .recalc import recalculation_mark_open

INDICATOR_FIELDS = (
    "name",
    "name_en",
    "description",
    "description_en",
    "kind",
    "unit",
    "direction",
    "aggregation",
    "formula",
    "perspective",
    "frequency",
    "default_target",
    "default_threshold",
    "default_target_max",
    "default_target_period",
    "is_active",
)


def _check_formula(org, indicator: Indicator) -> None:
    if indicator.aggregation != Aggregation.FORMULA:
        indicator.formula = ""
        return
    if not indicator.formula.strip():
        raise ValidationError({"formula": [_("A formula indicator needs a formula.")]})
    rows = (
        Indicator.objects.for_org(org)
        .exclude(pk=indicator.pk)
        .values_list("code", "aggregation", "formula")
    )
    known = {code for code, _agg, _f in rows}
    others = {code: f for code, agg, f in rows if agg == Aggregation.FORMULA and f}
    try:
        formulas.check_references(indicator.code, indicator.formula, known, others)
    except formulas.FormulaError as exc:
        raise ValidationError({"formula": [formula_message(exc)]}) from exc


@transaction.atomic
def indicator_create(*, org, by, code: str, **fields) -> Indicator:
    """Add an indicator to the library (HR)."""
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Unknown field.")] for f in unknown})
    indicator = Indicator(organization=org, code=code, **fields)
    if not indicator.default_target_period:
        indicator.default_target_period = indicator.frequency
    _check_formula(org, indicator)
    indicator.full_clean()
    save_unique(indicator)
    dashboard_stale(org.pk)
    return indicator


@transaction.atomic
def indicator_update(*, indicator: Indicator, by, **fields) -> Indicator:
    """Edit an indicator. Its code stays: formulas and imports refer to it."""
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed.")] for f in unknown})
    if indicator.is_computed and {"aggregation", "formula"} & set(fields):
        raise ValidationError({"aggregation": [_("This indicator is computed by PerfHub.")]})
    for key, value in fields.items():
        setattr(indicator, key, value)
    _check_formula(indicator.organization, indicator)
    indicator.full_clean()
    save_unique(indicator)
    # Direction, aggregation, formula or the active flag change how its KPIs score.
    # (its KPIs' departments: a formula reads the lines of its own department only)
    recalculation_mark_open(
        org=indicator.organization,
        departments=Kpi.objects.for_org(indicator.organization_id)
        .filter(indicator=indicator)
        .values_list("department_id", flat=True),
    )
    dashboard_stale(indicator.organization_id)
    return indicator
