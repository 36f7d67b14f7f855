"""Marking periods for recalculation, in the transaction of the change that requires it,
and asking for the job once it commits.

Every service whose write can change a stored score calls `recalculation_mark` (or
`recalculation_mark_open`) by name. The job is `scorecards.tasks.recalculate`; metrics may
not import scorecards, so `recalculation_enqueue` publishes it by its task name."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from perfhub.celery import app as celery_app

from ..models import PendingRecalculation, Period, PeriodStatus

log = logging.getLogger(__name__)

# scorecards.tasks.recalculate: the name is the queue's contract (tests check it is registered).
RECALCULATE_TASK = "reviews.recalculate"


def recalculation_mark(*, org, periods: Iterable[Period]) -> list[int]:
    """Mark the periods and the quarters and years containing them (one read, one upsert),
    and ask for a recalculation once the transaction commits (`recalculation_enqueue`).
    Returns the marked ids."""
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
    recalculation_enqueue(org_id, period_ids)


def recalculation_enqueue(
    org_id: int, period_ids: list[int] | None = None, run_id: int | None = None
) -> bool:
    """Publish `reviews.recalculate` (scorecards.tasks.recalculate) for these periods
    (default: every marked one) by its name. Never raises: a broker that is down must never
    turn a committed save into an error; it is logged, the marks stay in the database and
    the reconciliation job (`reviews.reconcile_pending`) enqueues them. Returns whether it
    was published.

    Without a broker (REDIS_URL empty: CELERY_TASK_ALWAYS_EAGER) the job runs here, in the
    process, as `apply_async` would: `send_task` ignores that setting, so the registered task
    is looked up by the same name and applied."""
    kwargs = {"organization_id": org_id, "period_ids": period_ids, "run_id": run_id}
    try:
        if celery_app.conf.task_always_eager:
            celery_app.tasks[RECALCULATE_TASK].apply(kwargs=kwargs)
        else:
            celery_app.send_task(RECALCULATE_TASK, kwargs=kwargs, retry=False)
    except Exception:  # noqa: BLE001 - broker down: the marks are already in the database
        log.warning("could not enqueue recalculation of organization %s", org_id, exc_info=True)
        return False
    return True


def recalculation_mark_open(*, org) -> list[int]:
    """Mark every open period: what a change of targets, weights, the tree or the
    organization's scoring settings affects. Locked periods keep the scorecards they were
    closed with (HR can recalculate one on purpose)."""
    return recalculation_mark(
        org=org, periods=Period.objects.for_org(org).filter(status=PeriodStatus.OPEN)
    )
