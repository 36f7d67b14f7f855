"""Jobs with a real Celery worker (and beat) on a real Redis server of their own.

The Redis server here is started by the tests on its own port so that they can stop it,
flush it and start it again without disturbing anything else on the machine (the
helpers are in tests/live.py, shared with tests/test_faults.py)."""

import os
import signal
import time
from decimal import Decimal

import pytest
import redis
from django.db import connection

from metrics.models import Actual, PendingRecalculation
from scorecards.models import Scorecard
from tests.live import line_score, scorecard_lines, start_beat, start_worker, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def post_actual(api, hr, org, setup, value="1700000"):
    return api(hr).post(
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": setup["kpi"].pk, "period": setup["month"].pk, "value": value, "note": "n"},
        format="json",
    )


def test_actual_entered_through_api_appears_in_scorecard(
    api, hr, org, setup, redis_server, point_app_at, processes
):
    point_app_at(redis_server.url)
    start_worker(processes, redis_server)
    response = post_actual(api, hr, org, setup)
    assert response.status_code == 201
    wait_for(lambda: line_score(org, setup) is not None, what="the scorecard line")
    assert line_score(org, setup) == Decimal("102")  # 1,700,000 of 1,666,666.67
    card = Scorecard.objects.for_org(org).get(
        department=setup["kpi"].department_id, period=setup["month"]
    )
    assert card.inputs_count == 1 and card.computed_at is not None
    wait_for(lambda: not PendingRecalculation.objects.for_org(org).exists(), what="marks")


def test_redis_down_save_succeeds_and_catches_up_after_redis_returns(
    api, hr, org, setup, redis_server, point_app_at, processes, tmp_path
):
    point_app_at(redis_server.url)
    start_worker(processes, redis_server)
    start_beat(processes, redis_server, tmp_path)
    redis_server.stop()
    started = time.monotonic()
    response = post_actual(api, hr, org, setup)
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 10  # a down broker does not hold the answer long
    assert Actual.objects.for_org(org).get().value == Decimal("1700000")
    assert PendingRecalculation.objects.for_org(org).count() == 3
    redis_server.start()
    # Nobody does anything: beat's reconciliation enqueues, the worker recalculates.
    wait_for(lambda: line_score(org, setup) is not None, seconds=90, what="catch-up")
    wait_for(lambda: not PendingRecalculation.objects.for_org(org).exists(), what="marks")


def test_redis_flushed_with_jobs_queued_loses_nothing(
    api, hr, org, setup, redis_server, point_app_at, processes, tmp_path
):
    point_app_at(redis_server.url)
    response = post_actual(api, hr, org, setup)  # queued, no worker yet
    assert response.status_code == 201
    redis.Redis.from_url(redis_server.url).flushall()
    start_worker(processes, redis_server)
    start_beat(processes, redis_server, tmp_path)
    wait_for(lambda: line_score(org, setup) is not None, seconds=90, what="rebuilt job")


def _lock_connection():
    import psycopg2

    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    conn.autocommit = False
    return conn


def test_worker_killed_mid_recalculation_leaves_no_wrong_scorecard_and_converges(
    api, hr, org, setup, redis_server, point_app_at, processes
):
    """The worker is SIGKILLed in the middle of an incremental recalculation (one save's
    department): it has written the new
    lines (uncommitted) and waits for the scorecard rows, which this test holds locked. The
    roll-up's parts are transactions that all wait here, so nothing of them remains; the
    task is redelivered (acks late) and the next worker converges to the same result as a
    serial run."""
    from metrics.services.actuals import ActualInput, actuals_save
    from scorecards.rollup import recalculate as serial
    from scorecards.tasks import enqueue

    kpi, month = setup["kpi"], setup["month"]
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, month.pk, "1700000", note="n")],
    )
    all_ids = [p.pk for p in setup["periods"]]
    serial(org=org, period_ids=all_ids)
    before = scorecard_lines(org)
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, month.pk, "1000000", note="n", version=1)],
    )
    # An incremental run: the save marked its department only (month, quarter, year).
    assert set(
        PendingRecalculation.objects.for_org(org).values_list("department_id", flat=True)
    ) == {kpi.department_id}
    point_app_at(redis_server.url)
    blocker = _lock_connection()
    try:
        with blocker.cursor() as cursor:
            # Like any transaction of the app role, it names its organization first
            # (row-level security would show it no row to lock otherwise).
            cursor.execute("SELECT set_config('perfhub.org_id', %s, true)", [str(org.pk)])
            cursor.execute(
                f"SELECT 1 FROM {Scorecard._meta.db_table} WHERE organization_id = %s FOR UPDATE",
                [org.pk],
            )
        worker = start_worker(processes, redis_server)
        assert enqueue(org.pk, all_ids)

        def worker_waits_on_our_lock():
            with blocker.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh view each time
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                return cursor.fetchone()[0] > 0

        wait_for(worker_waits_on_our_lock, seconds=60, what="the worker to be mid-run")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        blocker.rollback()
        blocker.close()
    assert scorecard_lines(org) == before  # the killed run's lines were never committed
    assert PendingRecalculation.objects.for_org(org).exists()  # still marked: not done
    start_worker(processes, redis_server)
    wait_for(
        lambda: not PendingRecalculation.objects.for_org(org).exists(),
        seconds=90,
        what="redelivery and convergence",
    )
    converged = scorecard_lines(org)
    assert converged != before
    assert line_score(org, setup) == Decimal("60")  # 1,000,000 of 1,666,666.67
    serial(org=org, period_ids=all_ids)
    assert scorecard_lines(org) == converged
