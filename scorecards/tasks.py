"""Background jobs: recalculating scorecards (SPEC §4, §7). Thin: ids in, services out.

- `reviews.recalculate`: one organization; drains whatever is marked for it when it starts
  (coalescing: many saves, one run; README "Recalculation") and recomputes only what those
  marks reach (scorecards.rollup.recalculate_marks). A run finding nothing returns at once.
  At most one waits in the queue per organization (metrics.services.recalc), and one runs
  at a time (a PostgreSQL advisory lock taken before the claim: a run started meanwhile
  waits, then drains what was marked by then, never recomputing what the other is
  recomputing). Acknowledged
  late, re-queued when a worker dies, retried a bounded number of times; each part of the
  roll-up is one transaction, so a killed run leaves the previous scorecards intact and its
  marks in place.
- `reviews.reconcile_pending` (beat, every minute): enqueues every organization that still
  has marked periods - what a down broker or a killed worker missed.
- `reviews.recalculate_open_periods` (beat, nightly): marks every open period of every
  organization and recalculates (reconciliation of anything that drifted).

The task names keep the `reviews.` prefix they had before the scorecards app existed: beat
and the queues store them. After each recalculation, `signals.recalculated` is sent (the
reviews app sends its red-KPI alerts on it, reviews.notifications): an email problem
never fails the scorecards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from departments.jobs import OrgTask
from departments.models import Organization
from metrics.models import PendingRecalculation, PeriodStatus
from metrics.selectors import pending_organization_ids, period_list
from metrics.services.recalc import (
    recalculation_enqueue,
    recalculation_mark,
    recalculation_started,
)
from perfhub.tenancy import org_atomic

from . import rollup
from .models import RecalculationRun
from .signals import recalculated

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def _pending(org):
    return PendingRecalculation.objects.for_org(org)


@shared_task(
    base=OrgTask,
    bind=True,
    name="reviews.recalculate",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_jitter=False,
    max_retries=MAX_ATTEMPTS - 1,
    # Several transactions, each opened with org_atomic(org): the attempt is counted in one
    # of its own before the roll-up, so a run that fails or is killed still counts.
    one_transaction=False,
)
def recalculate(self, org, period_ids: list[int] | None = None, run_id: int | None = None):
    """Recompute what is marked for the organization (`period_ids`: accepted from messages
    queued before the marks had a grain, and ignored: the marks say what to do).

    One run per organization at a time: a run that starts while another runs waits for it
    (`one_run_at_a_time`) before it claims anything, so it never recomputes what the other
    is recomputing, and the saves that arrive meanwhile join it (the queued key is cleared
    only once it holds the lock)."""
    with one_run_at_a_time(org):
        drained = _drain(self, org, run_id)
    if drained is None:
        return {"periods": 0}
    # The lock is free: the next run starts while this one tells what it recomputed.
    run, period_ids, departments, pairs, result = drained
    try:
        with org_atomic(org):
            # exactly the periods this run recomputed (a dashboard warmer listens too)
            recalculated.send(
                sender=recalculate,
                org=org,
                period_ids=period_ids,
                department_ids=departments,
                pairs=pairs,
            )
    except Exception:  # noqa: BLE001 - an email problem never fails the scorecards
        log.exception("red-KPI alerts of organization %s failed", org.pk)
    if run is not None:
        with org_atomic(org):
            RecalculationRun.objects.for_org(org).filter(pk=run.pk).update(
                state=RecalculationRun.State.DONE,
                periods_done=result.periods,
                lines_written=result.lines,
                finished_at=timezone.now(),
                error="",
            )
    return {"periods": result.periods, "lines": result.lines, "scorecards": result.scorecards}


def _drain(task, org, run_id: int | None):
    """Claim every mark and recompute what they reach: (the run record, the period ids,
    the departments or None, the (period, department) pairs or None, the roll-up's result),
    or None when nothing was marked."""
    # From now on, a new request queues a new run: what it marks may be too late for this one.
    recalculation_started(org.pk)
    with org_atomic(org):
        run = RecalculationRun.objects.for_org(org).filter(pk=run_id).first() if run_id else None
        # The claim: every mark at its current version. Marks written from now on (or
        # raised to a new version) are not this run's: they survive it.
        marks = [
            rollup.Mark(*row)
            for row in _pending(org)
            .filter(attempts__lt=MAX_ATTEMPTS)
            .order_by("pk")
            .values_list("pk", "version", "period_id", "department_id")
        ]
        if not marks:
            if run is not None:  # another run drained its marks first
                RecalculationRun.objects.for_org(org).filter(pk=run.pk).update(
                    state=RecalculationRun.State.DONE, finished_at=timezone.now(), error=""
                )
            return None
        claimed = [m.id for m in marks]
        period_ids = sorted({m.period_id for m in marks})
        departments = (
            None
            if any(m.department_id is None for m in marks)
            else sorted({m.department_id for m in marks if m.department_id is not None})
        )
        pairs = (
            None if departments is None else sorted({(m.period_id, m.department_id) for m in marks})
        )
        started = timezone.now()
        # Counted before the work, in its own transaction: a worker killed mid-run still counts.
        _pending(org).filter(pk__in=claimed).update(attempts=F("attempts") + 1)
        if run is not None:
            RecalculationRun.objects.for_org(org).filter(pk=run.pk).update(
                state=RecalculationRun.State.RUNNING,
                started_at=started,
                attempts=F("attempts") + 1,
                periods_total=len(period_ids),
                periods_done=0,
                lines_written=0,
            )

    def part_done(part):
        """The progress HR watches: the periods of each part once it has committed."""
        if run is None:
            return
        try:
            with org_atomic(org):
                RecalculationRun.objects.for_org(org).filter(pk=run.pk).update(
                    periods_done=F("periods_done") + part.periods,
                    lines_written=F("lines_written") + part.lines,
                )
        except DatabaseError:  # the scorecards are committed; the final update says it all
            log.warning("progress of recalculation run %s not recorded", run.pk, exc_info=True)

    try:
        result = rollup.recalculate_marks(
            org=org, marks=marks, started=started, on_part_done=part_done
        )
    except Exception as exc:
        message = f"{exc.__class__.__name__}: {exc}"[:2000]
        with org_atomic(org):
            _pending(org).filter(pk__in=claimed).update(last_error=message)
            if run is not None:
                final = task.request.retries >= task.max_retries
                RecalculationRun.objects.for_org(org).filter(pk=run.pk).update(
                    error=message,
                    state=RecalculationRun.State.FAILED if final else RecalculationRun.State.QUEUED,
                )
        log.exception("recalculation of organization %s failed", org.pk)
        raise
    return run, period_ids, departments, pairs, result


# pg_advisory_lock(ORG_LOCK_KEY, organization id): one recalculation run per organization
# at a time (scorecards.rollup's per-period locks use ADVISORY_KEY, another namespace).
ORG_LOCK_KEY = 7_301_967
# How long a run waits for the one before it (a full recalculation of a large organization
# takes seconds); past that it fails and is retried (autoretry, DatabaseError).
ORG_LOCK_WAIT = "300s"


@contextmanager
def one_run_at_a_time(org) -> Iterator[None]:
    """Hold the organization's recalculation lock: a session-level advisory lock of
    PostgreSQL on this connection, released when the block ends - or by PostgreSQL itself
    when the worker dies and its connection closes, so a killed run never leaves it held.
    A run started meanwhile (a duplicate message, the sweeper, the next save's run on the
    worker's other process) waits here, then claims whatever is marked by then. Nothing
    on SQLite (the demo runs its jobs in process, one at a time)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = [ORG_LOCK_KEY, int(org.pk) % 2_147_483_647]
    with connection.cursor() as cursor:
        # One statement: the timeout is set first (the subquery) and, in autocommit, is local
        # to it; the session-level lock outlives it.
        cursor.execute(
            "SELECT pg_advisory_lock(%s, %s) FROM (SELECT set_config('lock_timeout', %s, true)) t",
            [*key, ORG_LOCK_WAIT],
        )
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:  # the connection is gone, and the lock with it
            log.warning("recalculation lock of organization %s not released", org.pk)


# Publish a recalculation; never raises (a missed one is caught up by reconciliation). One
# function for every caller, in metrics (the marks' after-commit publish is there).
enqueue = recalculation_enqueue


@shared_task(name="reviews.reconcile_pending", acks_late=True)
def reconcile_pending() -> int:
    """Enqueue every organization that still has periods marked for recalculation.

    A deliberate cross-tenant read: only the ids of the organizations (through the
    database function metrics.selectors.pending_organization_ids names); each organization
    is then recalculated alone, by OrgTask."""
    org_ids = pending_organization_ids(max_attempts=MAX_ATTEMPTS)
    count = 0
    for org_id in org_ids:
        count += bool(enqueue(org_id))
    return count


@shared_task(name="reviews.recalculate_open_periods", acks_late=True)
def recalculate_open_periods() -> int:
    """Nightly: mark every open period of every organization, then recalculate them."""
    count = 0
    for org in Organization.objects.all():
        with org_atomic(org):
            periods = list(period_list(org=org, status=PeriodStatus.OPEN))
            recalculation_mark(org=org, periods=periods)
        count += len(periods)
    return count


def request_full_recalculation(*, org, period, by) -> RecalculationRun:
    """HR's button: recalculate one period (and the quarter and year containing it), with a
    run record whose progress the page shows."""
    with org_atomic(org):
        period_ids = recalculation_mark(org=org, periods=[period])
        run = RecalculationRun.objects.create(
            organization=org, requested_by=by, periods_total=len(period_ids)
        )
        transaction.on_commit(lambda: enqueue(org.pk, period_ids, run.pk))
    return run
