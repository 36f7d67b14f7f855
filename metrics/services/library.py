"""Seeding a new organization with the built-in indicator library and templates (SPEC §8)."""

from django.db import transaction

from .. import library
from ..models import Indicator, Template, TemplateItem


@transaction.atomic
def library_install(*, org) -> None:
    """Create the built-in indicators and templates the organization does not have yet
    (matched by code; never overwrites what HR changed). Three queries and three inserts."""
    have = set(Indicator.objects.for_org(org).values_list("code", flat=True))
    Indicator.objects.bulk_create(
        [
            Indicator(
                organization=org,
                code=i.code,
                name=i.name_zh,
                name_en=i.name_en,
                description=i.description_zh,
                description_en=i.description_en,
                kind=i.kind,
                unit=i.unit,
                direction=i.direction,
                aggregation=i.aggregation,
                formula=i.formula,
                perspective=i.perspective,
                frequency=i.frequency,
                default_target=i.default_target,
                default_threshold=i.default_threshold,
                default_target_max=i.default_target_max,
                default_target_period=i.target_period,
                value_min=i.value_min,
                value_max=i.value_max,
                is_computed=i.computed,
                is_builtin=True,
            )
            for i in library.INDICATORS
            if i.code not in have
        ]
    )
    indicators = dict(Indicator.objects.for_org(org).values_list("code", "pk"))
    have_templates = set(Template.objects.for_org(org).values_list("code", flat=True))
    new_templates = [t for t in library.TEMPLATES if t.code not in have_templates]
    created = Template.objects.bulk_create(
        [
            Template(
                organization=org,
                code=t.code,
                name=t.name_zh,
                name_en=t.name_en,
                kind=t.kind,
                function=t.function,
                is_builtin=True,
            )
            for t in new_templates
        ]
    )
    if not all(t.pk for t in created):  # SQLite before 3.35 returns no ids
        ids = dict(Template.objects.for_org(org).values_list("code", "pk"))
        for t in created:
            t.pk = ids[t.code]
    TemplateItem.objects.bulk_create(
        [
            TemplateItem(
                organization=org,
                template_id=row.pk,
                indicator_id=indicators[item.indicator_code],
                weight=item.weight,
                target=item.target,
                threshold=item.threshold,
                target_max=item.target_max,
            )
            for row, spec in zip(created, new_templates, strict=True)
            for item in spec.items
        ]
    )
