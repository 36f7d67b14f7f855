"""The history rows of actuals written by hand where the database has no triggers (SQLite,
the demo of `make run`); on PostgreSQL pghistory's triggers write them."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import connection
from django.utils import timezone

from ..models import Actual


def record_history_without_triggers(org, ids: Iterable[int]) -> None:
    """One "recorded" history row per actual in `ids`, as the trigger would write it."""
    if connection.vendor == "postgresql":
        return
    now = timezone.now()
    change = apps.get_model("metrics", "ActualChange")  # made by pghistory at run time
    change.objects.bulk_create(
        change(
            pgh_label="recorded",
            pgh_obj_id=row.pk,
            pgh_created_at=now,
            organization_id=row.organization_id,
            kpi_id=row.kpi_id,
            period_id=row.period_id,
            value=row.value,
            note=row.note,
            version=row.version,
            source=row.source,
            entered_by_id=row.entered_by_id,
            entered_at=row.entered_at,
            status=row.status,
            confirmed_value=row.confirmed_value,
            reviewed_by_id=row.reviewed_by_id,
            reviewed_at=row.reviewed_at,
            review_reason=row.review_reason,
        )
        for row in Actual.objects.for_org(org).filter(pk__in=list(ids))
    )
