"""Reads of the data feeds."""

from __future__ import annotations

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from perfhub import tenancy

from .models import AllowedHost, DataFeed, FeedRun

UNFINISHED_STATES = ("queued", "running", "retrying")


def allowed_host_list(*, org) -> QuerySet[AllowedHost]:
    """The organization's allow-list, by address."""
    return AllowedHost.objects.for_org(org).order_by("address", "port")


def allowed_host_get(*, org, pk) -> AllowedHost:
    return tenancy.get_or_404(allowed_host_list(org=org), pk)


def feed_list(*, org) -> QuerySet[DataFeed]:
    """The organization's feeds, by name (their secrets left unread)."""
    return DataFeed.objects.for_org(org).defer("password").order_by("name")


def feed_get(*, org, pk) -> DataFeed:
    return tenancy.get_or_404(DataFeed.objects.for_org(org), pk)


def run_list(*, org, feed_id: int | None = None) -> QuerySet[FeedRun]:
    """Runs, newest first, with their feed's name."""
    qs = FeedRun.objects.for_org(org).select_related("feed").defer("feed__url", "feed__password")
    if feed_id is not None:
        qs = qs.filter(feed_id=feed_id)
    return qs.order_by("-created_at", "-pk")


def run_get(*, org, pk, feed_id: int | None = None) -> FeedRun:
    return tenancy.get_or_404(run_list(org=org, feed_id=feed_id), pk)


def last_runs(*, org, feed_ids) -> dict[int, FeedRun]:
    """The latest run of each feed, in two queries (any database)."""
    latest = (
        FeedRun.objects.for_org(org)
        .filter(feed_id=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    run_ids = (
        DataFeed.objects.for_org(org)
        .filter(pk__in=list(feed_ids))
        .annotate(last_run=Subquery(latest))
        .values_list("last_run", flat=True)
    )
    runs = FeedRun.objects.for_org(org).filter(pk__in=[pk for pk in run_ids if pk])
    return {run.feed_id: run for run in runs}


def unfinished_run_organization_ids() -> list[int]:
    """Every organization with a run queued, running or waiting to retry: the sweeper's
    one cross-tenant read, ids only (the SECURITY DEFINER function of feeds/0001; SQLite
    has no row-level security)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM feeds_unfinished_run_organization_ids() AS id ORDER BY id"
            )
            return [row[0] for row in cursor.fetchall()]
    return sorted(
        FeedRun.objects.unscoped()  # SQLite only: no row-level security there
        .filter(state__in=UNFINISHED_STATES)
        .values_list("organization_id", flat=True)
        .distinct()
    )
