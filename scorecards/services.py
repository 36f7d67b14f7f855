"""Writes of the scorecards app: company goals (their progress is computed by the roll-up;
scorecards themselves are written by the roll-up only, scorecards.rollup)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from metrics.services.recalc import recalculation_mark

from .models import Goal, GoalLink


@transaction.atomic
def goal_save(
    *, org, by, title: str, period, links: list[tuple], description: str = "", goal=None
) -> Goal:
    """Create or edit a company goal for a period with its linked KPIs, each with a
    contribution weight (`links`: [(kpi, weight)]). Its progress is computed by the
    roll-up, which this marks for the goal's period."""
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    errors = {}
    seen = set()
    for n, (kpi, weight) in enumerate(links):
        if kpi.organization_id != org.pk:
            errors[f"links.{n}.kpi"] = [_("Unknown KPI.")]
        elif kpi.pk in seen:
            errors[f"links.{n}.kpi"] = [_("Listed twice.")]
        if weight is None or Decimal(weight) < 0:
            errors[f"links.{n}.weight"] = [_("The weight cannot be negative.")]
        seen.add(kpi.pk)
    if not links:
        errors["links"] = [_("Link at least one KPI.")]
    goal = goal or Goal(organization=org, created_by=by)
    goal.title, goal.description, goal.period = title, description, period
    try:
        goal.full_clean(exclude=["organization", "progress", "computed_at"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    goal.save()
    GoalLink.objects.for_org(org).filter(goal=goal).delete()
    GoalLink.objects.bulk_create(
        GoalLink(organization=org, goal=goal, kpi=kpi, weight=Decimal(weight))
        for kpi, weight in links
    )
    recalculation_mark(org=org, periods=[period])
    return goal
