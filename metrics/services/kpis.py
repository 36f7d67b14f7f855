"""KPIs: an indicator assigned to a department with weight, target, threshold and cap."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from departments.models import Department, DepartmentKind
from perfhub.cache_versions import dashboard_stale

from .. import scoring
from ..messages import target_message
from ..models import Indicator, Kpi
from ..scoring_rules import stated_rule
from ..signals import kpis_created
from .library import library_install
from .recalc import recalculation_mark_open
from .signoff import confirmer_changed, confirmer_errors

KPI_FIELDS = (
    "weight",
    "target",
    "threshold",
    "target_max",
    "cap",
    "target_period",
    "is_active",
    "confirm_role",
    "confirm_department",
)


def rule_errors(
    *, indicator: Indicator, weight, target, threshold, target_max, cap
) -> dict[str, str]:
    """{field: message} for target settings SPEC §3 refuses; empty when they can be scored.

    A KPI of weight 0 is tracked, not scored, and needs no target; if it has one, it must
    still make sense."""
    weight = weight or Decimal(0)
    if weight < 0:
        return {"weight": _("The weight cannot be negative.")}
    if weight == 0 and target is None:
        return {}
    rule = stated_rule(
        direction=indicator.direction,
        target=target,
        threshold=threshold,
        target_max=target_max,
        cap=cap,
    )
    try:
        scoring.validate_rule(rule)
    except scoring.TargetError as exc:
        return {exc.field: str(target_message(exc.message))}
    return {}


def _validate(kpi: Kpi) -> None:
    errors = rule_errors(
        indicator=kpi.indicator,
        weight=kpi.weight,
        target=kpi.target,
        threshold=kpi.threshold,
        target_max=kpi.target_max,
        cap=kpi.cap,
    )
    errors.update(
        confirmer_errors(kpi=kpi, role=kpi.confirm_role, department=kpi.confirm_department)
    )
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    kpi.full_clean(exclude=["organization"])


def _confirmers(kpis) -> dict[int, tuple[str, int | None]]:
    return {k.pk: (k.confirm_role, k.confirm_department_id) for k in kpis}


@transaction.atomic
def kpi_create(*, org, by, department, indicator, **fields) -> Kpi:
    """Assign an indicator to a department (once per department)."""
    if department.organization_id != org.pk:
        raise ValidationError({"department": [_("Unknown department.")]})
    if indicator.organization_id != org.pk:
        raise ValidationError({"indicator": [_("Unknown indicator.")]})
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Unknown field.")] for f in unknown})
    if Kpi.objects.for_org(org).filter(department=department, indicator=indicator).exists():
        raise ValidationError({"indicator": [_("This department already has this KPI.")]})
    fields.setdefault("target_period", indicator.default_target_period or indicator.frequency)
    kpi = Kpi(organization=org, department=department, indicator=indicator, **fields)
    _validate(kpi)
    try:
        with transaction.atomic():
            kpi.save()
    except IntegrityError as exc:
        raise ValidationError({"indicator": [_("This department already has this KPI.")]}) from exc
    kpis_created.send(sender=Kpi, organization=org, kpis=[kpi])  # reviews fills computed ones
    # a new line, and a new weight, in its department's scorecard
    recalculation_mark_open(org=org, departments=[kpi.department_id])
    dashboard_stale(org.pk)
    return kpi


# The computed indicator of business departments (the cooperation management departments
# rate), given only while the organization's `feedback_cooperation_kpi` is on.
COOPERATION = "cooperation"


@transaction.atomic
def computed_kpis_ensure(*, org, department) -> list[Kpi]:
    """Give a department a KPI for every active computed indicator of its kind that it
    lacks: a management department internal service satisfaction (SPEC §2); a business
    department cooperation, while the organization's `feedback_cooperation_kpi` is on.
    Called when a department is created or saved (departments.signals.department_saved),
    so a department created by hand or switched to the management kind always has it, and
    for every department when the organization's settings change (computed_kpis_sync).

    The KPI starts at weight 0 (tracked, not scored: the department's weights still add up
    as HR set them) with the indicator's default target; a template listing the indicator
    adopts it with the template's weight (template_apply). Returns the KPIs created."""
    if not department.is_active:
        return []
    if department.kind == DepartmentKind.MANAGEMENT:
        wanted = Indicator.objects.for_org(org).filter(kind=DepartmentKind.MANAGEMENT)
    elif department.kind == DepartmentKind.BUSINESS and org.feedback_cooperation_kpi:
        wanted = Indicator.objects.for_org(org).filter(
            kind=DepartmentKind.BUSINESS, code=COOPERATION
        )
    else:
        return []
    missing = list(
        wanted.filter(is_computed=True, is_active=True)
        .exclude(kpis__department=department)
        .order_by("code")
    )
    return [
        kpi_create(
            org=org,
            by=None,
            department=department,
            indicator=indicator,
            weight=Decimal(0),
            target=indicator.default_target,
            threshold=indicator.default_threshold,
            target_max=indicator.default_target_max,
        )
        for indicator in missing
    ]


@transaction.atomic
def computed_kpis_sync(*, org) -> None:
    """Follow the organization's `feedback_cooperation_kpi` (called when its settings
    change): on, every active business department gets its cooperation KPI (the indicator
    installed first if the organization predates it; KPIs switched off before are
    switched on again); off, those KPIs are switched off (kept with their actuals, out of
    the scorecards). Nothing happens when they already follow the setting."""
    kpis = Kpi.objects.for_org(org).filter(
        indicator__code=COOPERATION, department__kind=DepartmentKind.BUSINESS
    )
    if not org.feedback_cooperation_kpi:
        changed = list(kpis.filter(is_active=True).values_list("department_id", flat=True))
        if changed:
            kpis.filter(is_active=True).update(is_active=False)
            recalculation_mark_open(org=org, departments=changed)
            dashboard_stale(org.pk)
        return
    if not Indicator.objects.for_org(org).filter(code=COOPERATION).exists():
        library_install(org=org)
    changed = list(kpis.filter(is_active=False).values_list("department_id", flat=True))
    if changed:
        kpis.filter(is_active=False).update(is_active=True)
        recalculation_mark_open(org=org, departments=changed)
        dashboard_stale(org.pk)
    for department in Department.objects.for_org(org).filter(
        kind=DepartmentKind.BUSINESS, is_active=True
    ):
        computed_kpis_ensure(org=org, department=department)


@transaction.atomic
def kpi_update(*, kpi: Kpi, by, **fields) -> Kpi:
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed.")] for f in unknown})
    before = _confirmers([kpi])
    for key, value in fields.items():
        setattr(kpi, key, value)
    _validate(kpi)
    kpi.save()
    confirmer_changed(org=kpi.organization, before=before, kpis=[kpi])
    recalculation_mark_open(org=kpi.organization, departments=[kpi.department_id])
    dashboard_stale(kpi.organization_id)
    return kpi


@transaction.atomic
def kpis_update_grid(*, org, by, rows: dict[int, dict], kpis: list[Kpi]) -> list[Kpi]:
    """Save the KPI grid of a department in one go: every row is checked, and if any is
    refused nothing is saved. Errors come back as {"<kpi id>.<field>": [message]}."""
    by_id = {k.pk: k for k in kpis}
    before = _confirmers(kpis)
    errors: dict[str, list[str]] = {}
    changed = []
    for kpi_id, fields in rows.items():
        kpi = by_id.get(kpi_id)
        if kpi is None:
            errors[f"{kpi_id}.kpi"] = [_("Unknown KPI.")]
            continue
        for key, value in fields.items():
            if key in KPI_FIELDS:
                setattr(kpi, key, value)
        try:
            _validate(kpi)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"{kpi_id}.{field}"] = messages
        changed.append(kpi)
    if errors:
        raise ValidationError(errors)
    Kpi.objects.for_org(org).bulk_update(changed, list(KPI_FIELDS))
    confirmer_changed(org=org, before=before, kpis=changed)
    recalculation_mark_open(org=org, departments={k.department_id for k in changed})
    dashboard_stale(org.pk)
    return changed


def weight_total(kpis) -> Decimal:
    """Sum of the weights of the active KPIs (the grid warns unless it is 100)."""
    return sum((k.weight for k in kpis if k.is_active), Decimal(0))
