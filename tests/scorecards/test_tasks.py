"""Job behaviour that needs no broker: concurrency of roll-ups, bounded retries, the nightly
reconciliation. (With a real worker and Redis: test_jobs.py.)"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from metrics.models import PendingRecalculation
from metrics.services.actuals import ActualInput, actuals_save
from perfhub.tenancy import org_atomic
from scorecards import rollup, tasks
from scorecards.models import OrgScorecard, RecalculationRun, Scorecard, ScorecardLine

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(org, hr, sales_kpis, periods):
    months = [p for p in periods if p.kind == "month"]
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(k.pk, m.pk, "90", note="n")
            for k in sales_kpis.values()
            if k.indicator.typed and k.indicator.unit == "percent"
            for m in months
        ],
    )
    return [p.pk for p in periods]


def _lines(org):
    return sorted(
        ScorecardLine.objects.for_org(org).values_list(
            "kpi_id", "period_id", "actual", "score", "status"
        )
    )


def test_two_recalculations_at_once_give_the_serial_result(org, data):
    errors = []

    def run():
        try:
            rollup.recalculate(org=org, period_ids=data)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    together = _lines(org)
    rollup.recalculate(org=org, period_ids=data)
    assert together == _lines(org) and together


def _everything(org):
    """Every derived row of the organization: each stored column but its surrogate id and
    the time of computation."""

    def rows(model):
        columns = [
            f.attname for f in model._meta.concrete_fields if f.attname not in {"id", "computed_at"}
        ]
        return sorted(model.objects.for_org(org).values_list(*columns))

    return rows(ScorecardLine), rows(Scorecard), rows(OrgScorecard)


def _sessions() -> set[int]:
    """The backends connected to the test database (a session of an earlier test that is
    still closing may leave meanwhile: what matters is that none is added)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def parts(monkeypatch):
    """The parts a recalculation ran in: (thread name, period ids) each."""
    seen = []
    real = rollup._recalculate_part

    def spy(org, period_ids, started, *args):
        seen.append((threading.current_thread().name, sorted(period_ids)))
        return real(org, period_ids, started, *args)

    monkeypatch.setattr(rollup, "_recalculate_part", spy)
    return seen


def test_many_periods_run_in_parts_at_once_and_give_the_serial_result(
    org, data, periods, settings, parts
):
    settings.ROLLUP_WORKERS = 1
    serial_result = rollup.recalculate(org=org, period_ids=data)
    serial = _everything(org)
    assert serial[0] and serial[1] and serial[2]
    assert len(parts) == 1
    for model in (ScorecardLine, Scorecard, OrgScorecard):
        model.objects.for_org(org).delete()
    parts.clear()

    settings.ROLLUP_WORKERS = 2
    sessions = _sessions()
    result = rollup.recalculate(org=org, period_ids=data)

    # The parts' connections are closed (a backend leaves pg_stat_activity a moment after
    # its client closed it: on a loaded machine, allow it a few seconds).
    deadline = time.monotonic() + 10
    while not _sessions() <= sessions and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sessions() <= sessions
    assert len(parts) == 2
    assert all(name.startswith("rollup") for name, _ids in parts)  # threads of their own
    assert sorted(p for _name, ids in parts for p in ids) == sorted(data)
    by_start = sorted((p for p in periods if p.pk in data), key=lambda p: (p.start, p.pk))
    expected = rollup.deal([(p.pk, p.kind) for p in by_start], 2)
    assert sorted(ids for _name, ids in parts) == sorted(expected)
    assert _everything(org) == serial
    assert (result.periods, result.lines, result.scorecards) == (
        serial_result.periods,
        serial_result.lines,
        serial_result.scorecards,
    )


def test_inside_a_transaction_or_for_a_few_periods_one_part_on_this_connection(
    org, data, periods, settings, parts
):
    settings.ROLLUP_WORKERS = 2
    with transaction.atomic():  # the parts' connections could not see what is uncommitted
        rollup.recalculate(org=org, period_ids=data)
    month = next(p for p in periods if p.kind == "month")
    quarter = next(p for p in periods if p.kind == "quarter" and p.start <= month.start)
    year = next(p for p in periods if p.kind == "year")
    rollup.recalculate(org=org, period_ids=[month.pk, quarter.pk, year.pk])
    here = threading.current_thread().name
    assert parts == [(here, sorted(data)), (here, sorted([month.pk, quarter.pk, year.pk]))]


def test_a_run_shows_the_progress_of_each_part_as_it_commits(org, data, settings, monkeypatch):
    from metrics.models import Period
    from metrics.services.recalc import recalculation_mark

    settings.ROLLUP_WORKERS = 2
    # HR's full recalculation of every period: marks for the whole organization
    recalculation_mark(org=org, periods=Period.objects.for_org(org).filter(pk__in=data))
    run = RecalculationRun.objects.create(organization=org, periods_total=len(data))
    seen = []
    real = rollup.recalculate
    one_at_a_time = threading.Lock()  # each part reads its own report, not both

    def spy(**kwargs):
        report = kwargs["on_part_done"]

        def recorded(part):  # on the part's thread, after its commit
            with one_at_a_time, org_atomic(org):
                report(part)
                seen.append(RecalculationRun.objects.for_org(org).get(pk=run.pk).periods_done)

        return real(**{**kwargs, "on_part_done": recorded})

    monkeypatch.setattr(rollup, "recalculate", spy)
    tasks.recalculate.apply(
        kwargs={"organization_id": org.pk, "period_ids": data, "run_id": run.pk}
    )
    assert len(seen) == 2
    assert 0 < min(seen) < len(data) and max(seen) == len(data)
    run.refresh_from_db()
    assert (run.state, run.periods_done) == (RecalculationRun.State.DONE, len(data))
    assert run.lines_written == ScorecardLine.objects.for_org(org).count()


def test_failing_job_records_the_error_and_stops_after_bounded_attempts(org, data, monkeypatch):
    def boom(**kwargs):
        raise DatabaseError("disk on fire")

    monkeypatch.setattr(rollup, "recalculate_marks", boom)
    run = RecalculationRun.objects.create(organization=org)
    kwargs = {"organization_id": org.pk, "period_ids": None, "run_id": run.pk}
    # Each delivery is one attempt (Celery retries, or redelivery after a lost worker).
    for attempt in range(tasks.MAX_ATTEMPTS):
        result = tasks.recalculate.apply(kwargs=kwargs, retries=attempt)
        run.refresh_from_db()
        final = attempt == tasks.MAX_ATTEMPTS - 1
        assert run.state == ("failed" if final else "queued")
    assert result.failed() and "disk on fire" in run.error
    marks = PendingRecalculation.objects.for_org(org)
    assert marks.exists()
    assert {m.attempts for m in marks} == {tasks.MAX_ATTEMPTS}
    assert all("disk on fire" in m.last_error for m in marks)
    sent = []
    monkeypatch.setattr(tasks, "enqueue", lambda *a, **k: sent.append(a) or True)
    assert tasks.reconcile_pending() == 0 and not sent  # given up: no endless retries
    # A marked period no longer tried is still visible: the pages say it is pending.


def test_reconcile_enqueues_each_organization_with_marks(org, other_org, data, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks, "enqueue", lambda org_id, *a, **k: sent.append(org_id) or True)
    assert tasks.reconcile_pending() == 1
    assert sent == [org.pk]


def test_nightly_marks_every_open_period(org, data, monkeypatch):
    from metrics.services.periods import period_lock

    locked = PendingRecalculation.objects.for_org(org).first().period
    period_lock(period=locked, by=None)
    PendingRecalculation.objects.for_org(org).delete()
    count = tasks.recalculate_open_periods()
    assert count == len(data) - 1
    assert not PendingRecalculation.objects.for_org(org).filter(period=locked).exists()


def test_task_for_a_deleted_organization_does_nothing():
    assert tasks.recalculate.apply(kwargs={"organization_id": 987654}).result is None


def test_line_values_after_job(org, data):
    tasks.recalculate.apply(kwargs={"organization_id": org.pk, "period_ids": data})
    scores = set(
        ScorecardLine.objects.for_org(org)
        .filter(scored=True, actual__isnull=False, kpi__indicator__code="customer_satisfaction")
        .values_list("score", flat=True)
    )
    assert scores == {Decimal(100)}  # 90 against a target of 90
