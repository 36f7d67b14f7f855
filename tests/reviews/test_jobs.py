"""Jobs with a real Celery worker (and beat) on a real Redis server of their own.

The Redis server here is started by the tests on its own port so that they can stop it,
flush it and start it again without disturbing anything else on the machine."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
PORT = 6391 + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0)


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


def test_worker_killed_mid_recalculation_leaves_no_wrong_scorecard_and_converges(
    api, hr, org, setup, redis_server, point_app_at, processes, settings
):
    """A large organization makes the recalculation take a while; the worker is killed
    with SIGKILL while it runs. The roll-up is one transaction: nothing half-written. The
    message is redelivered (acks late) and the next worker converges."""
    from metrics import selectors
    from metrics.services.actuals import ActualInput, actuals_save
    from metrics.services.kpis import kpi_create
    from tests.factories import make_department

    indicator = selectors.indicator_list(org=org).get(code="customer_satisfaction")
    kpis = []
    for n in range(120):
        dept = make_department(org, code=f"big{n}")
        kpis.append(
            kpi_create(
                org=org,
                by=None,
                department=dept,
                indicator=indicator,
                weight=Decimal(1),
                target=Decimal(90),
                threshold=Decimal(50),
            )
        )
    months = [p for p in setup["periods"] if p.kind == "month"]
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(k.pk, m.pk, str(80 + (i % 15)), note="n")
            for i, k in enumerate(kpis)
            for m in months
        ],
    )
    point_app_at(redis_server.url)
    worker = start_worker(processes, redis_server)
    from reviews.tasks import enqueue

    all_ids = [p.pk for p in setup["periods"]]
    assert enqueue(org.pk, all_ids)
    wait_for(
        lambda: PendingRecalculation.objects.for_org(org).filter(attempts__gte=1).exists(),
        seconds=60,
        what="the run to start",
    )
    time.sleep(0.2)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    # Either nothing was written, or a complete previous state: never a partial one.
    written = ScorecardLine.objects.for_org(org).count()
    assert written == 0 and not Scorecard.objects.for_org(org).exists()
    assert PendingRecalculation.objects.for_org(org).exists()  # still marked: not done
    start_worker(processes, redis_server)
    wait_for(
        lambda: not PendingRecalculation.objects.for_org(org).exists(),
        seconds=90,
        what="redelivery and convergence",
    )
    converged = sorted(
        ScorecardLine.objects.for_org(org).values_list(
            "kpi_id", "period_id", "actual", "score", "status"
        )
    )
    from reviews.rollup import recalculate as serial

    serial(org=org, period_ids=all_ids)
    assert converged == sorted(
        ScorecardLine.objects.for_org(org).values_list(
            "kpi_id", "period_id", "actual", "score", "status"
        )
    )
    assert len(converged) == 128 * 17  # every KPI (120 + 8 of Sales) in every period


__all__ = ["tempfile"]
