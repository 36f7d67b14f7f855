"""Reads of briefing books and the organization's schedule."""

from __future__ import annotations

from django.db.models import QuerySet

from perfhub.tenancy import get_or_404

from .models import Briefing, BriefingSchedule


def briefing_list(*, org, period_id=None) -> QuerySet[Briefing]:
    """The organization's books, newest first, period and who asked loaded, without the PDF
    bytes (a list never needs them): for the page and the API."""
    qs = (
        Briefing.objects.for_org(org)
        .select_related("period", "requested_by")
        .defer("pdf")
        .order_by("-created_at", "-pk")
    )
    if period_id is not None:
        qs = qs.filter(period_id=period_id)
    return qs


def briefing_get(*, org, pk) -> Briefing:
    """One book of the organization, with its PDF (404 for another organization's or none):
    for the download and the API's status."""
    return get_or_404(Briefing.objects.for_org(org).select_related("period", "requested_by"), pk)


def schedule_get(*, org) -> BriefingSchedule:
    """The organization's schedule (an unsaved one, off, in the organization's language,
    until someone saves one)."""
    schedule = BriefingSchedule.objects.for_org(org).first()
    if schedule is None:
        schedule = BriefingSchedule(organization=org, language=org.language)
    return schedule
