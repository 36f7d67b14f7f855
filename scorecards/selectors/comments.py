"""Reads of the comments executives and HR write on scorecards (issue 17 "Commentary")."""

from __future__ import annotations

from collections import defaultdict

from ..models import ScorecardComment


def comment_list(*, org, period, department_ids=None):
    """The period's comments, oldest first, with their author (one query)."""
    rows = ScorecardComment.objects.for_org(org).filter(period=period).select_related("by")
    if department_ids is not None:
        rows = rows.filter(department_id__in=department_ids)
    return rows


def comment_get(*, org, pk) -> ScorecardComment:
    """One comment of the organization, or 404 (also for another tenant's id)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ScorecardComment.objects.for_org(org), pk=pk)


def comment_map(*, org, period, department_ids=None) -> dict[tuple[int, int | None], list]:
    """The period's comments by (department id, KPI id or None for the scorecard as a
    whole), oldest first (one query)."""
    found: dict[tuple[int, int | None], list] = defaultdict(list)
    for comment in comment_list(org=org, period=period, department_ids=department_ids):
        found[(comment.department_id, comment.kpi_id)].append(comment)
    return dict(found)


def attach_comments(*, org, period, department, card) -> list:
    """Give each line of the card its `comments`; returns the scorecard's own comments."""
    found = comment_map(org=org, period=period, department_ids=[department.pk])
    for line in getattr(card, "lines", []) if card is not None else []:
        line.comments = found.get((department.pk, line.kpi_id), [])
    return found.get((department.pk, None), [])
