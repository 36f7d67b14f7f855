"""Marking periods for recalculation, in the transaction of the change that requires it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import PendingRecalculation, Period, PeriodStatus
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
    _announce_on_commit(org.pk, ids)
    return sorted(ids)


def _announce_on_commit(org_id: int, period_ids: set[int]) -> None:
    """One announcement per organization when the transaction commits, however many
    changes in it marked periods (a demo load or a feedback form marks dozens)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _announce(org_id, sorted(period_ids))
        return
    pending = getattr(connection, "_perfhub_announce", None)
    # Still registered in this transaction (a rolled-back savepoint may have dropped it).
    if pending is not None and any(e[1] is pending[0] for e in connection.run_on_commit):
        pending[1].setdefault(org_id, set()).update(period_ids)
        return
    batch: dict[int, set[int]] = {org_id: set(period_ids)}

    def announce_batch() -> None:
        connection._perfhub_announce = None
        for oid, pids in batch.items():
            _announce(oid, sorted(pids))

    connection._perfhub_announce = (announce_batch, batch)
    transaction.on_commit(announce_batch)


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
    return recalculation_mark(
        org=org, periods=Period.objects.for_org(org).filter(status=PeriodStatus.OPEN)
    )
