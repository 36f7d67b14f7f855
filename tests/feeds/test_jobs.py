"""A feed run with a real Celery worker on a real Redis server (tests/live.py): a worker
SIGKILLed in the middle of the import leaves nothing saved, and the run ends failed with a
message the admin sees; a run that is not interrupted imports."""

import os
import signal

import pytest

from feeds.models import FeedRun
from feeds.services import runs
from metrics.models import Actual, ActualChange
from metrics.services.recalc import recalculation_mark
from tests.live import recalculation_marks_held, start_worker, wait_for, waits_on_a_lock

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
    with recalculation_marks_held(org) as blocker:
        worker = start_worker(processes, redis_server)
        run = runs.run_request(org=org, feed=feed, by=None, trigger="manual")  # published

        wait_for(
            lambda: waits_on_a_lock(blocker), seconds=60, what="the import to be mid-transaction"
        )
        assert _state(run) == "running"  # started (committed), not finished
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
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
