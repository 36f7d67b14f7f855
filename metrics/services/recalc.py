"""Marking periods for recalculation, in the transaction of the change that requires it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import PendingRecalculation, Period
from ..signals import recalculation_requested

log = logging.getLogger(__name__)


def recalculation_mark(*, org, periods: Iterable[Period]) -> list[int]:
    """Mark the periods and the quarters and years containing them (one read, one upsert),
    and ask for a recalculation once the transaction commits. Returns the marked ids."""
    periods = list(periods)
    if not periods:
        return []
    containing = Q()
    for p in periods:
        containing |= Q(start__lte=p.start, end__gte=p.end)
    ids = set(Period.objects.for_org(org).filter(containing).values_list("pk", flat=True))
    ids |= {p.pk for p in periods}
    now = timezone.now()
    PendingRecalculation.objects.bulk_create(
        [
            PendingRecalculation(organization_id=org.pk, period_id=pid, requested_at=now)
            for pid in sorted(ids)
        ],
        update_conflicts=True,
        unique_fields=["organization", "period"],
        # A new request starts a fresh count of attempts.
        update_fields=["requested_at", "attempts", "last_error"],
    )
    org_id, period_ids = org.pk, sorted(ids)
    transaction.on_commit(lambda: _announce(org_id, period_ids))
    return period_ids


def _announce(org_id: int, period_ids: list[int]) -> None:
    # A broker that is down must never turn a committed save into an error.
    for _receiver, result in recalculation_requested.send_robust(
        sender=PendingRecalculation, organization_id=org_id, period_ids=period_ids
    ):
        if isinstance(result, Exception):
            log.warning("recalculation not enqueued (the reconciliation job will): %r", result)


def recalculation_mark_open(*, org) -> list[int]:
    """Mark every open period: what a change of targets, weights, the tree or the
    organization's scoring settings affects. Locked periods keep the scorecards they were
    closed with (HR can recalculate one on purpose)."""
    from ..models import PeriodStatus

    return recalculation_mark(
        org=org, periods=Period.objects.for_org(org).filter(status=PeriodStatus.OPEN)
    )
