"""Templates: HR's named sets of indicators, and applying them to departments."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department
from perfhub.cache_versions import dashboard_stale
from perfhub.errors import save_unique

from ..models import Indicator, Kpi, Template, TemplateItem
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


@transaction.atomic
def template_apply(*, template: Template, departments: list[Department], by) -> int:
    """Create the template's KPIs in each department that does not have them yet.

    Re-applying adds what is missing and never duplicates nor overwrites a KPI that exists
    (whatever HR set by hand stays). Returns the number of KPIs created."""
    org = template.organization
    if any(d.organization_id != org.pk for d in departments):
        raise ValidationError({"departments": [_("Unknown department.")]})
    items = list(
        TemplateItem.objects.for_org(org).filter(template=template).select_related("indicator")
    )
    existing = set(
        Kpi.objects.for_org(org)
        .filter(department__in=departments)
        .values_list("department_id", "indicator_id")
    )
    new = []
    for department in departments:
        for item in items:
            if (department.pk, item.indicator_id) in existing:
                continue
            indicator = item.indicator
            explicit = item.target is not None
            new.append(
                Kpi(
                    organization=org,
                    department=department,
                    indicator=indicator,
                    weight=item.weight,
                    target=item.target if explicit else indicator.default_target,
                    threshold=item.threshold if explicit else indicator.default_threshold,
                    target_max=item.target_max if explicit else indicator.default_target_max,
                    target_period=indicator.default_target_period or indicator.frequency,
                    source_template=template,
                )
            )
    Kpi.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        recalculation_mark_open(org=org, departments={k.department_id for k in new})
        dashboard_stale(org.pk)
    return len(new)
