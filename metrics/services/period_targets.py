"""Targets per period (docs/scoring.md, "Targets per period"): HR sets a KPI's own target,
threshold and upper end for months or quarters of a fiscal year; the page and the API call
this one service."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from perfhub.cache_versions import dashboard_stale

from .. import scoring
from ..messages import target_message
from ..models import Kpi, KpiPeriodTarget
from ..period_targets import (
    allows_own_target,
    as_period_target,
    fiscal_year_periods,
    period_rules,
)
from .recalc import recalculation_mark

FIELDS = ("target", "threshold", "target_max")


def _same(row: KpiPeriodTarget | None, new: scoring.PeriodTarget | None) -> bool:
    if row is None or new is None:
        return row is None and new is None
    return (row.target, row.threshold, row.target_max) == (
        new.target,
        new.threshold,
        new.target_max,
    )


@transaction.atomic
def kpi_period_targets_set(
    *,
    org,
    kpi: Kpi,
    by,
    fiscal_year: int,
    targets: Mapping[int, scoring.PeriodTarget | None],
    replace: bool = False,
) -> list[KpiPeriodTarget]:
    """Set the KPI's own targets for periods of ``fiscal_year``: ``targets`` maps a period
    id to its new own settings, or to None to remove them (periods not named keep theirs).
    All or nothing: every period is checked - one of this organization's months or quarters
    of that year where the KPI may have its own target (``allows_own_target``), open if its
    target changes, and the rule it then scores by, and that of every quarter and year
    whose target follows from the cells, valid (SPEC §3) - and if any is refused nothing is
    saved. With ``replace`` the KPI's own targets in the year that ``targets`` does not
    name are removed (the API's PUT). Errors come back as {"<period id>.<field>":
    [message]}, each naming the period.

    The changed periods, and the quarters and the year containing them, are marked for
    recalculation for the KPI's department only, in this transaction. Returns the KPI's own
    targets in the year after the change."""
    periods = fiscal_year_periods(org=org, fiscal_year=fiscal_year)
    by_id = {p.pk: p for p in periods}
    errors: dict[str, list[str]] = {}
    for pk in targets:
        period = by_id.get(pk)
        if period is None:
            errors[f"{pk}.period"] = [
                _("Unknown period: not a period of FY%(year)s.") % {"year": fiscal_year}
            ]
        elif not allows_own_target(kpi, period.kind):
            errors[f"{pk}.period"] = [
                _(
                    "%(period)s cannot have a target of its own for this KPI: it is not "
                    "scored in a %(kind)s."
                )
                % {"period": period.label, "kind": period.get_kind_display().lower()}
            ]
    if errors:
        raise ValidationError(errors)
    rows = {
        row.period_id: row
        for row in KpiPeriodTarget.objects.for_org(org)
        .select_for_update()
        .filter(kpi=kpi, period_id__in=list(by_id))
    }
    if replace:
        targets = {**dict.fromkeys(rows), **targets}
    changed = [pk for pk, new in targets.items() if not _same(rows.get(pk), new)]
    for pk in changed:
        period = by_id[pk]
        if period.is_locked:
            errors[f"{pk}.target"] = [
                _("%(period)s is locked: its target cannot change.") % {"period": period.label}
            ]
    own = {pk: as_period_target(row) for pk, row in rows.items()}
    for pk, new in targets.items():
        if new is None:
            own.pop(pk, None)
        else:
            own[pk] = new
    if own and kpi.target is None:
        errors["target"] = [_("Set the KPI's target first: periods without one use it.")]
    if errors:
        raise ValidationError(errors)
    for pk, (rule, from_periods) in period_rules(kpi, periods, own).items():
        if rule is None or not from_periods:
            continue
        try:
            scoring.validate_rule(rule)
        except scoring.TargetError as exc:
            period = by_id[pk]
            where = exc.field if pk in own else "target"
            errors[f"{pk}.{where}"] = [
                _("%(period)s: %(message)s")
                % {"period": period.label, "message": target_message(exc.message)}
            ]
    if errors:
        raise ValidationError(errors)
    kept = [
        KpiPeriodTarget(
            organization=org,
            kpi=kpi,
            period_id=pk,
            target=new.target,
            threshold=new.threshold,
            target_max=new.target_max,
            updated_by=by,
        )
        for pk in changed
        if (new := targets[pk]) is not None
    ]
    for row in kept:  # the digits a column holds (the rows' uniqueness is the upsert's)
        try:
            row.full_clean(
                exclude=["organization", "kpi", "period", "updated_by"],
                validate_constraints=False,
            )
        except ValidationError as exc:
            label = by_id[row.period_id].label
            for name, messages in exc.message_dict.items():
                errors[f"{row.period_id}.{name}"] = [
                    _("%(period)s: %(message)s") % {"period": label, "message": m} for m in messages
                ]
    if errors:
        raise ValidationError(errors)
    if not changed:
        return list(KpiPeriodTarget.objects.for_org(org).filter(kpi=kpi, period_id__in=list(by_id)))
    removed = [pk for pk in changed if targets[pk] is None]
    if removed:
        KpiPeriodTarget.objects.for_org(org).filter(kpi=kpi, period_id__in=removed).delete()
    if kept:
        KpiPeriodTarget.objects.for_org(org).bulk_create(
            kept,
            update_conflicts=True,
            unique_fields=["organization", "kpi", "period"],
            update_fields=[*FIELDS, "updated_by", "updated_at"],
        )
    recalculation_mark(
        org=org, periods=[by_id[pk] for pk in changed], departments=[kpi.department_id]
    )
    dashboard_stale(org.pk)
    return list(KpiPeriodTarget.objects.for_org(org).filter(kpi=kpi, period_id__in=list(by_id)))


@transaction.atomic
def department_period_targets_set(
    *,
    org,
    kpis: list[Kpi],
    by,
    fiscal_year: int,
    targets: Mapping[int, Mapping[int, scoring.PeriodTarget | None]],
) -> None:
    """Set the own targets of several KPIs of a department in one go (the department's
    "Targets by period" grid): ``targets`` maps a KPI id (one of ``kpis``, the department's
    KPIs with their ``indicator`` loaded) to what ``kpi_period_targets_set`` takes for it.
    All or nothing across the KPIs: each KPI's change is checked and written by that
    service in a savepoint, and if any KPI is refused every KPI's change is rolled back.
    Errors come back as {"<kpi id>.<period id>.<field>": [message]}, each naming the KPI
    and the period ({"<kpi id>.<field>": ...} for what concerns the KPI as a whole)."""
    by_id = {k.pk: k for k in kpis}
    errors: dict[str, list[str]] = {}
    for kpi_id, cells in targets.items():
        kpi = by_id.get(kpi_id)
        if kpi is None:
            errors[f"{kpi_id}.kpi"] = [_("Unknown KPI: not a KPI of this department.")]
            continue
        try:
            kpi_period_targets_set(org=org, kpi=kpi, by=by, fiscal_year=fiscal_year, targets=cells)
        except ValidationError as exc:
            name = kpi.indicator.display_name
            for key, messages in exc.message_dict.items():
                errors[f"{kpi_id}.{key}"] = [
                    _("%(kpi)s: %(message)s") % {"kpi": name, "message": m} for m in messages
                ]
    if errors:
        raise ValidationError(errors)  # rolls back the KPIs already written
