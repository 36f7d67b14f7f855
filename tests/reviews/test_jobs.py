"""Jobs with a real Celery worker (and beat) on a real Redis server of their own.

The Redis server here is started by the tests on its own port so that they can stop it,
flush it and start it again without disturbing anything else on the machine."""

import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.db import connection

from metrics.models import Actual, PendingRecalculation
from reviews.models import Scorecard, ScorecardLine

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
# PERFHUB_TEST_REDIS_PORT lets several checkouts run the job tests side by side.
PORT = int(os.environ.get("PERFHUB_TEST_REDIS_PORT", "6391")) + int(
    os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0
)


class RedisServer:
    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _env(redis_url):
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        REDIS_URL=redis_url,
        CELERY_VISIBILITY_TIMEOUT="3",
        PERFHUB_RECONCILE_SECONDS="1",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def _celery(*args, redis_url, log):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "perfhub", *args],
        cwd=ROOT,
        env=_env(redis_url),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def redis_server():
    server = RedisServer(PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def point_app_at(settings):
    """Make this test process publish to the given Redis, as the web process would."""
    from perfhub.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def _point(url):
        settings.REDIS_URL = url
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        app._pool = None
        app.amqp._producer_pool = None

    yield _point
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def processes(tmp_path):
    started = []

    def _start(*args, redis_url):
        log = open(tmp_path / f"celery-{len(started)}.log", "w")  # noqa: SIM115
        proc = _celery(*args, redis_url=redis_url, log=log)
        started.append((proc, log))
        return proc

    yield _start
    for proc, log in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def start_worker(processes, redis_server):
    return processes(
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        redis_url=redis_server.url,
    )


def start_beat(processes, redis_server, tmp_path):
    return processes(
        "beat",
        "--scheduler",
        "celery.beat:PersistentScheduler",
        "--schedule",
        str(tmp_path / "beat-schedule"),
        "--loglevel=INFO",
        redis_url=redis_server.url,
    )


def wait_for(predicate, seconds=60, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def setup(org, hr, sales):
    from metrics import selectors
    from metrics.services.library import library_install
    from metrics.services.periods import periods_generate
    from metrics.services.templates import template_apply

    library_install(org=org)
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    template_apply(
        template=selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    kpi = selectors.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    month = next(p for p in periods if p.kind == "month" and p.number == 3)
    PendingRecalculation.objects.for_org(org).delete()  # set-up marks; each test starts clean
    return {"kpi": kpi, "month": month, "periods": periods}


def post_actual(api, hr, org, setup, value="1700000"):
    return api(hr).post(
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": setup["kpi"].pk, "period": setup["month"].pk, "value": value, "note": "n"},
        format="json",
    )


def line_score(org, setup):
    row = ScorecardLine.objects.for_org(org).filter(kpi=setup["kpi"], period=setup["month"])
    return row.values_list("score", flat=True).first()


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


def _lines(org):
    return sorted(
        ScorecardLine.objects.for_org(org).values_list(
            "kpi_id", "period_id", "actual", "score", "status"
        )
    )


def test_worker_killed_mid_recalculation_leaves_no_wrong_scorecard_and_converges(
    api, hr, org, setup, redis_server, point_app_at, processes
):
    """The worker is SIGKILLed in the middle of a recalculation: it has written the new
    lines (uncommitted) and waits for the scorecard rows, which this test holds locked. The
    roll-up is one transaction, so nothing of it remains; the task is redelivered (acks
    late) and the next worker converges to the same result as a serial run."""
    from metrics.services.actuals import ActualInput, actuals_save
    from reviews.rollup import recalculate as serial
    from reviews.tasks import enqueue

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
    before = _lines(org)
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, month.pk, "1000000", note="n", version=1)],
    )
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
    assert _lines(org) == before  # the killed run's lines were never committed
    assert PendingRecalculation.objects.for_org(org).exists()  # still marked: not done
    start_worker(processes, redis_server)
    wait_for(
        lambda: not PendingRecalculation.objects.for_org(org).exists(),
        seconds=90,
        what="redelivery and convergence",
    )
    converged = _lines(org)
    assert converged != before
    assert line_score(org, setup) == Decimal("60")  # 1,000,000 of 1,666,666.67
    serial(org=org, period_ids=all_ids)
    assert _lines(org) == converged
