"""Job behaviour that needs no broker: concurrency of roll-ups, bounded retries, the nightly
reconciliation. (With a real worker and Redis: test_jobs.py.)"""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from metrics.models import PendingRecalculation
from metrics.services.actuals import ActualInput, actuals_save
from reviews import rollup, tasks
from reviews.models import RecalculationRun, ScorecardLine

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


def test_failing_job_records_the_error_and_stops_after_bounded_attempts(org, data, monkeypatch):
    def boom(**kwargs):
        raise DatabaseError("disk on fire")

    monkeypatch.setattr(rollup, "recalculate", boom)
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
