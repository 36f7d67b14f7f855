"""Templates: HR's named sets of indicators, and applying them to departments."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department
from perfhub.cache_versions import dashboard_stale
from perfhub.errors import save_unique

from ..models import Indicator, Kpi, Template, TemplateItem
from ..signals import kpis_created
from .kpis import rule_errors
from .recalc import recalculation_mark_open


@transaction.atomic
def template_save(*, org, by, template: Template | None = None, items: list[dict], **fields):
    """Create or edit a template with its items ({indicator, weight, target, threshold,
    target_max}); items not listed are removed. All or nothing."""
    template = template or Template(organization=org)
    for key, value in fields.items():
        setattr(template, key, value)
    template.full_clean()
    save_unique(template)
    errors = {}
    seen = set()
    rows = []
    for n, item in enumerate(items):
        indicator: Indicator = item["indicator"]
        if indicator.organization_id != org.pk:
            errors[f"items.{n}.indicator"] = [_("Unknown indicator.")]
            continue
        if indicator.pk in seen:
            errors[f"items.{n}.indicator"] = [_("Listed twice.")]
            continue
        seen.add(indicator.pk)
        row = TemplateItem(
            organization=org,
            template=template,
            indicator=indicator,
            weight=item.get("weight") or Decimal(0),
            target=item.get("target"),
            threshold=item.get("threshold"),
            target_max=item.get("target_max"),
        )
        problems = rule_errors(
            indicator=indicator,
            weight=row.weight,
            target=row.target if row.target is not None else indicator.default_target,
            threshold=row.threshold if row.target is not None else indicator.default_threshold,
            target_max=row.target_max if row.target is not None else indicator.default_target_max,
            cap=Decimal(120),
        )
        for field, message in problems.items():
            errors[f"items.{n}.{field}"] = [message]
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    TemplateItem.objects.for_org(org).filter(template=template).delete()
    TemplateItem.objects.bulk_create(rows)
    return template


@dataclass(frozen=True)
class DepartmentPlan:
    """What applying a template does (or did) in one department: the KPIs it creates (the
    template's items), the KPIs of computed indicators it adopts (added automatically at
    weight 0: they take the template's weight and target), the KPIs it leaves as they are,
    and the department's total weight of active KPIs before and after."""

    department: Department
    create: tuple[TemplateItem, ...]
    adopt: tuple[tuple[Kpi, TemplateItem], ...]
    kept: tuple[Kpi, ...]
    weight_before: Decimal
    weight_after: Decimal

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.adopt)

    @property
    def weight_warning(self) -> bool:
        return self.weight_after != 100


def _adoptable(kpi: Kpi) -> bool:
    """A KPI PerfHub added by itself (computed_kpis_ensure): no template, weight 0."""
    return kpi.indicator.is_computed and kpi.source_template_id is None and kpi.weight == 0


def template_plan(*, template: Template, departments: list[Department]) -> list[DepartmentPlan]:
    """What template_apply would do in each department, in the order given (two queries):
    the preview HR confirms, and the very plan template_apply then carries out."""
    org = template.organization
    if any(d.organization_id != org.pk for d in departments):
        raise ValidationError({"departments": [_("Unknown department.")]})
    items = list(
        TemplateItem.objects.for_org(org)
        .filter(template=template)
        .select_related("indicator")
        .order_by("-weight", "indicator__code")
    )
    existing: dict[int, dict[int, Kpi]] = {d.pk: {} for d in departments}
    for kpi in (
        Kpi.objects.for_org(org)
        .filter(department__in=departments)
        .select_related("indicator")
        .order_by("indicator__code")
    ):
        existing[kpi.department_id][kpi.indicator_id] = kpi
    plans = []
    for department in departments:
        have = existing[department.pk]
        create = tuple(i for i in items if i.indicator_id not in have)
        adopt = tuple(
            (have[i.indicator_id], i)
            for i in items
            if i.indicator_id in have and _adoptable(have[i.indicator_id])
        )
        adopted = {kpi.pk for kpi, _item in adopt}
        before = sum((k.weight for k in have.values() if k.is_active), Decimal(0))
        after = (
            before
            + sum((i.weight for i in create), Decimal(0))
            + sum((i.weight for _kpi, i in adopt), Decimal(0))
        )
        plans.append(
            DepartmentPlan(
                department=department,
                create=create,
                adopt=adopt,
                kept=tuple(k for k in have.values() if k.pk not in adopted),
                weight_before=before,
                weight_after=after,
            )
        )
    return plans


def _settings(item: TemplateItem) -> dict:
    """The KPI settings a template item gives: its own target, else the indicator's."""
    indicator = item.indicator
    explicit = item.target is not None
    return {
        "weight": item.weight,
        "target": item.target if explicit else indicator.default_target,
        "threshold": item.threshold if explicit else indicator.default_threshold,
        "target_max": item.target_max if explicit else indicator.default_target_max,
    }


@transaction.atomic
def template_apply(
    *, template: Template, departments: list[Department], by
) -> list[DepartmentPlan]:
    """Create the template's KPIs in each department that does not have them yet.

    Re-applying adds what is missing and never duplicates nor overwrites a KPI that exists
    (whatever HR set by hand stays); the one exception is a KPI PerfHub added by itself at
    weight 0 (internal service satisfaction of a management department), which takes the
    template's settings. Returns what was done per department (template_plan)."""
    org = template.organization
    plans = template_plan(template=template, departments=departments)
    new = [
        Kpi(
            organization=org,
            department=plan.department,
            indicator=item.indicator,
            target_period=item.indicator.default_target_period or item.indicator.frequency,
            source_template=template,
            **_settings(item),
        )
        for plan in plans
        for item in plan.create
    ]
    adopted = []
    for plan in plans:
        for kpi, item in plan.adopt:
            for key, value in _settings(item).items():
                setattr(kpi, key, value)
            kpi.source_template = template
            adopted.append(kpi)
    Kpi.objects.bulk_create(new, ignore_conflicts=True)
    if adopted:
        Kpi.objects.for_org(org).bulk_update(
            adopted, ["weight", "target", "threshold", "target_max", "source_template"]
        )
    if new:
        created = list(
            Kpi.objects.for_org(org)
            .filter(source_template=template, department__in=departments)
            .exclude(pk__in=[k.pk for k in adopted])
            .select_related("indicator")
        )
        kpis_created.send(sender=Kpi, organization=org, kpis=created)
    if new or adopted:
        recalculation_mark_open(
            org=org, departments={k.department_id for k in new} | {k.department_id for k in adopted}
        )
        dashboard_stale(org.pk)
    return plans
