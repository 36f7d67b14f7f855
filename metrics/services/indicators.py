"""Writes to the indicator library: create, edit, retire; formulas checked before saving."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from perfhub.cache_versions import dashboard_stale
from perfhub.errors import save_unique

from .. import formulas, scoring
from ..messages import formula_message, target_message
from ..models import Aggregation, Indicator, Kpi
from ..scoring_rules import stated_rule
from ..values import ValueRefused, check_bounds, plain
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
    "value_min",
    "value_max",
    "is_active",
)

# A default that KPIs copy, checked as a KPI's own setting would be (SPEC §3).
_DEFAULT_OF = {
    "target": "default_target",
    "threshold": "default_threshold",
    "target_max": "default_target_max",
}


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


def _label(field: str) -> str:
    """The field's label, capitalized: "Default threshold"."""
    return str(capfirst(getattr(Indicator._meta.get_field(field), "verbose_name", field)))


def _named(field: str, message) -> str:
    """The message prefixed by the field's label: "Default threshold: …"."""
    label = _label(field)
    return _("%(field)s: %(message)s") % {"field": label, "message": message}


def _check_defaults(indicator: Indicator) -> None:
    """Refuse default targets a KPI created from the indicator could not be scored with
    (a threshold on the wrong side, a band without its upper end: the error would surface
    only when HR applies a template), bounds in the wrong order, and defaults outside the
    bounds. Each error names the indicator's own field."""
    low, high = indicator.value_min, indicator.value_max
    if low is not None and high is not None and low > high:
        raise ValidationError(
            {
                "value_max": [
                    _("The highest value allowed must not be below the lowest (%(low)s).")
                    % {"low": plain(low)}
                ]
            }
        )
    defaults = {f: getattr(indicator, name) for f, name in _DEFAULT_OF.items()}
    if all(v is None for v in defaults.values()):
        return  # no default target: each KPI sets its own
    if defaults["target"] is None:
        raise ValidationError(
            {
                "default_target": [
                    _named("default_target", _("set one, or clear the other defaults."))
                ]
            }
        )
    rule = stated_rule(direction=indicator.direction, **defaults)
    try:
        scoring.validate_rule(rule)
    except scoring.TargetError as exc:
        name = _DEFAULT_OF.get(exc.field, "default_target")
        raise ValidationError({name: [_named(name, target_message(exc.message))]}) from exc
    low, high = indicator.bounds
    for field in ("target", "target_max"):
        value, name = defaults[field], _DEFAULT_OF[field]
        if value is None:
            continue
        label = _label(name)
        try:
            check_bounds(value, low=low, high=high, name=label)
        except ValueRefused as exc:
            raise ValidationError({name: [exc.message]}) from exc


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
    _check_defaults(indicator)
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
    _check_defaults(indicator)
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
