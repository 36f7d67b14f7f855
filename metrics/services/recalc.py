"""Marking what must be recomputed, at the grain of the change, in the transaction of the
change that requires it, and asking for the job once it commits (README "Recalculation").

- A mark is a (period, department) row of PendingRecalculation; a department-less row
  means every department of the organization in that period. `recalculation_mark` marks the
  periods given and the quarters and years containing them.
- Coalescing: the job (`scorecards.tasks.recalculate`, task name `reviews.recalculate`)
  drains whatever is marked when it starts. `recalculation_enqueue` publishes it at most
  once per organization while it waits in the queue: a Redis key set with `SET NX PX`
  (redis-py) that the job deletes as it starts, so a request arriving during a run queues
  exactly one more run, and requests arriving before the run starts join it.

Every service whose write can change a stored score calls `recalculation_mark` (or
`recalculation_mark_open`) by name; metrics may not import scorecards, so the job is
published by its task name."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from perfhub.celery import app as celery_app

from ..models import PendingRecalculation, Period, PeriodStatus

log = logging.getLogger(__name__)

# scorecards.tasks.recalculate: the name is the queue's contract (tests check it is registered).
RECALCULATE_TASK = "reviews.recalculate"
# How long a "queued" key lives if its job is lost before it starts (a flushed broker): after
# that, the next save or the minute's reconciliation queues a new one.
QUEUED_TTL_MS = 30_000


def queued_key(org_id: int) -> str:
    """The Redis key saying a recalculation of the organization waits in the queue."""
    return f"perfhub:recalc:queued:{int(org_id)}"


def recalculation_mark(
    *, org, periods: Iterable[Period], departments: Iterable[object] | None = None
) -> list[int]:
    """Mark the periods and the quarters and years containing them, for these departments
    (ids or Department objects; None: the whole organization), in one read and one upsert,
    and ask for a recalculation once the transaction commits. Returns the marked period ids.

    An empty list of departments marks nothing."""
    periods = list(periods)
    if departments is None:
        return recalculation_mark_changes(org=org, changes=[(p, None) for p in periods])
    dept_ids = sorted({_id(d) for d in departments})
    return recalculation_mark_changes(org=org, changes=[(p, d) for p in periods for d in dept_ids])


def _id(department: object) -> int:
    return int(getattr(department, "pk", department))  # type: ignore[call-overload]


def recalculation_mark_changes(*, org, changes: Iterable[tuple[Period, int | None]]) -> list[int]:
    """Mark each (period, department id) changed - and the quarters and years containing
    the period, for that department - in one read and one upsert (department None: the
    whole organization in that period). Returns the marked period ids."""
    changes = list(changes)
    if not changes:
        return []
    periods = {p.pk: p for p, _dept in changes}
    containing = Q()
    for p in periods.values():
        containing |= Q(start__lte=p.start, end__gte=p.end)
    around = list(Period.objects.for_org(org).filter(containing).values_list("pk", "start", "end"))
    pairs: set[tuple[int, int | None]] = set()
    for p, dept in changes:
        pairs.add((p.pk, dept))
        pairs |= {(pk, dept) for pk, s, e in around if s <= p.start and e >= p.end}
    _upsert(org.pk, sorted(pairs, key=lambda x: (x[0], x[1] or 0)))
    _announce_on_commit(org.pk)
    return sorted({pid for pid, _dept in pairs})


def _upsert(org_id: int, pairs: list[tuple[int, int | None]]) -> None:
    """One row per (period, department): a new request raises its version and starts a
    fresh count of attempts."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        # SQLite (the demo) has no NULLS NOT DISTINCT: by hand, row by row.
        for pid, dept in pairs:
            rows = PendingRecalculation.objects.filter(organization_id=org_id, period_id=pid)
            rows = (
                rows.filter(department__isnull=True)
                if dept is None
                else rows.filter(department_id=dept)
            )
            updated = rows.update(
                requested_at=now, version=F("version") + 1, attempts=0, last_error=""
            )
            if not updated:
                PendingRecalculation.objects.create(
                    organization_id=org_id, period_id=pid, department_id=dept, requested_at=now
                )
        return
    params: list[int | datetime | None] = []
    for pid, dept in pairs:
        params += [org_id, pid, dept, now]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL.format(values=", ".join([_ROW] * len(pairs))), params)


_ROW = "(%s, %s, %s, %s, 1, 0, '')"
# Placeholders only (the number of rows varies); rows in a fixed order, so two saves that
# mark the same rows lock them in the same order.
_UPSERT_SQL = """
    INSERT INTO metrics_pendingrecalculation (organization_id, period_id, department_id,
      requested_at, version, attempts, last_error) VALUES {values}
    ON CONFLICT (organization_id, period_id, department_id) DO UPDATE SET
      requested_at = excluded.requested_at,
      version = metrics_pendingrecalculation.version + 1, attempts = 0, last_error = ''
    """


def _announce_on_commit(org_id: int) -> None:
    """One announcement per organization when the transaction commits, however many
    changes in it marked periods (a demo load or a feedback form marks dozens)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _announce(org_id)
        return
    pending = getattr(conn, "_perfhub_announce", None)
    # Still registered in this transaction (a rolled-back savepoint may have dropped it).
    if pending is not None and any(e[1] is pending[0] for e in conn.run_on_commit):
        pending[1].add(org_id)
        return
    batch: set[int] = {org_id}

    def announce_batch() -> None:
        conn._perfhub_announce = None
        for oid in sorted(batch):
            _announce(oid)

    conn._perfhub_announce = (announce_batch, batch)
    transaction.on_commit(announce_batch)


def _announce(org_id: int) -> None:
    recalculation_enqueue(org_id)


def _redis():
    """A client of the broker's Redis (REDIS_URL), short timeouts: never holds a save."""
    return _client(settings.REDIS_URL)


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def recalculation_enqueue(
    org_id: int, period_ids: list[int] | None = None, run_id: int | None = None
) -> bool:
    """Publish `reviews.recalculate` for the organization, which drains every mark; at most
    one waits in the queue per organization (the `queued_key` set NX). HR's full
    recalculation (`run_id`) is always published: its run record must be reported on.
    `period_ids` is accepted for the callers of old and ignored: the marks say what to do.

    Never raises: a broker that is down must never turn a committed save into an error; it
    is logged, the marks stay in the database and the reconciliation job
    (`reviews.reconcile_pending`) enqueues them. Returns whether a run is queued (published
    now, or already waiting and joined).

    Without a broker (REDIS_URL empty: CELERY_TASK_ALWAYS_EAGER) the job runs here, in the
    process, as `apply_async` would: `send_task` ignores that setting, so the registered task
    is looked up by the same name and applied."""
    kwargs = {"organization_id": org_id, "run_id": run_id}
    try:
        if celery_app.conf.task_always_eager:
            celery_app.tasks[RECALCULATE_TASK].apply(kwargs=kwargs)
            return True
        dedup = run_id is None and bool(settings.REDIS_URL)
        if dedup and not _redis().set(queued_key(org_id), b"1", nx=True, px=QUEUED_TTL_MS):
            return True  # a run is waiting: it will drain this request's marks too
        try:
            celery_app.send_task(RECALCULATE_TASK, kwargs=kwargs, retry=False)
        except Exception:
            if dedup:
                _redis().delete(queued_key(org_id))
            raise
    except Exception:  # noqa: BLE001 - broker down: the marks are already in the database
        log.warning("could not enqueue recalculation of organization %s", org_id, exc_info=True)
        return False
    return True


def recalculation_started(org_id: int) -> None:
    """Called by the job as it starts, before it reads the marks: a request from now on
    queues a new run. Never raises (the key expires on its own)."""
    if not settings.REDIS_URL or celery_app.conf.task_always_eager:
        return
    try:
        _redis().delete(queued_key(org_id))
    except Exception:  # noqa: BLE001
        log.warning("could not clear the queued key of organization %s", org_id, exc_info=True)


def recalculation_mark_open(*, org, departments: Iterable[object] | None = None) -> list[int]:
    """Mark every open period for these departments (None: the whole organization): what a
    change of targets, weights, the tree or the organization's scoring settings affects.
    Locked periods keep the scorecards they were closed with (HR can recalculate one on
    purpose)."""
    return recalculation_mark(
        org=org,
        periods=Period.objects.for_org(org).filter(status=PeriodStatus.OPEN),
        departments=departments,
    )
