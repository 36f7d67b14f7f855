"""Reads of goals and what their linked KPIs contribute (stored lines)."""

from __future__ import annotations

from django.db.models import Prefetch

from perfhub.tenancy import get_or_404

from ..models import Goal, GoalLink, ScorecardLine


def goal_list(*, org, period_id=None):
    """Goals with their links (KPI, indicator, department) loaded: two queries."""

    links = GoalLink.objects.for_org(org).select_related("kpi__indicator", "kpi__department")
    qs = (
        Goal.objects.for_org(org)
        .select_related("period")
        .prefetch_related(Prefetch("links", queryset=links))
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    return qs.order_by("-period__start", "title")


def goals_in_force(*, org, period):
    """The goals in force during the period: those of the period itself and of the
    quarter and year containing it, longest first (goal_list's two queries)."""
    return (
        goal_list(org=org)
        .filter(period__start__lte=period.start, period__end__gte=period.end)
        .order_by("period__start", "-period__end", "title")
    )


def goal_get(*, org, pk):
    """One goal of the organization with its links loaded, as goal_list loads it (404 for
    another organization's or none): for the goal form and the API."""
    return get_or_404(goal_list(org=org), pk)


def goal_contributions(*, org, goals) -> dict:
    """For each goal, its linked KPIs' lines in the goal's period, split by side
    (management / business): {goal id: {"management": [...], "business": [...]}}. One
    query for all goals."""
    goals = list(goals)
    pairs = {(link.kpi_id, g.period_id) for g in goals for link in g.links.all()}
    lines = {}
    if pairs:
        rows = ScorecardLine.objects.for_org(org).filter(
            period_id__in={p for _k, p in pairs}, kpi_id__in={k for k, _p in pairs}
        )
        lines = {(line.kpi_id, line.period_id): line for line in rows}
    result = {}
    for goal in goals:
        sides = {"management": [], "business": []}
        for link in goal.links.all():
            line = lines.get((link.kpi_id, goal.period_id))
            sides[link.kpi.department.kind].append({"link": link, "line": line})
        result[goal.pk] = sides
    return result
