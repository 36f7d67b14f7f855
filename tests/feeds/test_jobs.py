"""A feed run with a real Celery worker on a real Redis server (tests/live.py): a worker
SIGKILLed in the middle of the import leaves nothing saved, and the run ends failed with a
message the admin sees; a run that is not interrupted imports."""

import os
import signal

import psycopg2
import pytest
from django.db import connection

from feeds.models import FeedRun
from feeds.services import runs
from metrics.models import Actual, ActualChange, PendingRecalculation
from metrics.services.recalc import recalculation_mark
from tests.live import start_worker, wait_for

from .conftest import sql_feed

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _state(run):
    return FeedRun.objects.for_org(run.organization).values_list("state", flat=True).get(pk=run.pk)


def test_feed_job_killed_mid_import_saves_nothing_and_ends_failed(
    org, sales_kpis, month, erp, loopback, redis_server, point_app_at, processes
):
    """The worker is SIGKILLed while its import waits for the recalculation marks, which
    this test holds locked: the actuals are written but not committed. Nothing of them
    remains; the redelivered job finds the run running and fails it."""
    recalculation_mark(org=org, periods=[month])  # a mark the import will update
    feed = sql_feed(org, erp)
    point_app_at(redis_server.url)
    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT set_config('perfhub.org_id', %s, true)", [str(org.pk)])
            cursor.execute(
                f"SELECT 1 FROM {PendingRecalculation._meta.db_table}"
                " WHERE organization_id = %s FOR UPDATE",
                [org.pk],
            )
        worker = start_worker(processes, redis_server)
        run = runs.run_request(org=org, feed=feed, by=None, trigger="manual")  # published

        def worker_waits_on_our_lock():
            with blocker.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                return cursor.fetchone()[0] > 0

        wait_for(worker_waits_on_our_lock, seconds=60, what="the import to be mid-transaction")
        assert _state(run) == "running"  # started (committed), not finished
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        blocker.rollback()
        blocker.close()
    assert not Actual.objects.for_org(org).exists()
    assert not ActualChange.objects.filter(organization_id=org.pk).exists()
    start_worker(processes, redis_server, name="second")
    wait_for(lambda: _state(run) == "failed", seconds=90, what="redelivery to fail the run")
    run.refresh_from_db()
    assert run.message == runs.interrupted_message()
    assert not Actual.objects.for_org(org).exists()
    # The next run, undisturbed, imports everything.
    again = runs.run_request(org=org, feed=feed, by=None, trigger="manual")
    wait_for(lambda: _state(again) == "done", seconds=60, what="the next run")
    assert Actual.objects.for_org(org).filter(source="feed").count() == 3
