"""Real services for the fault tests: a Redis server of the test's own (on a port derived
from PERFHUB_TEST_REDIS_PORT, so checkouts can run side by side), Celery workers and beat,
and the web app served by gunicorn, each a subprocess the test can kill."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import redis
from django.db import connection

from . import dbroles

ROOT = Path(__file__).resolve().parents[1]
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
    """The subprocesses log in as the application role itself, as in production (the test
    connection's own role also sees every organization, tests/dbroles.py)."""
    db = connection.settings_dict
    login = dbroles.APP_LOGIN or db
    user = quote(login["USER"], safe="") + (
        ":" + quote(login["PASSWORD"], safe="") if login["PASSWORD"] else ""
    )
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        REDIS_URL=redis_url,
        CELERY_VISIBILITY_TIMEOUT="3",
        PERFHUB_RECONCILE_SECONDS="1",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
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
    """Start subprocesses (each in its own process group, its output in a log file under
    tmp_path); whatever is still running at the end of the test is SIGKILLed."""
    started = []

    def _start(*args, redis_url, argv=None):
        log = open(tmp_path / f"process-{len(started)}.log", "w")  # noqa: SIM115
        if argv is None:
            proc = _celery(*args, redis_url=redis_url, log=log)
        else:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=_env(redis_url),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc.log_path = log.name
        started.append((proc, log))
        return proc

    yield _start
    for proc, log in started:
        kill(proc)
        log.close()


def kill(proc) -> None:
    """SIGKILL the process and its children (its process group), as a crash would."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def start_worker(processes, redis_server, name="worker"):
    return processes(
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        f"--hostname={name}@%h",
        redis_url=redis_server.url,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(processes, redis_url) -> str:
    """The app under gunicorn (one sync worker) on a free port, against the test database;
    returns its base URL once it answers /healthz."""
    import urllib.request

    port = free_port()
    proc = processes(
        redis_url=redis_url,
        argv=[
            str(Path(sys.executable).parent / "gunicorn"),
            "perfhub.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
        ],
    )
    base = f"http://127.0.0.1:{port}"

    def answers():
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {Path(proc.log_path).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):  # noqa: S310
                return True
        except OSError:
            return False

    wait_for(answers, seconds=60, what="gunicorn to answer")
    proc.base_url = base
    return proc


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


def line_score(org, setup):
    """The stored score of the set-up KPI in its month (None until computed)."""
    from scorecards.models import ScorecardLine

    row = ScorecardLine.objects.for_org(org).filter(kpi=setup["kpi"], period=setup["month"])
    return row.values_list("score", flat=True).first()


def scorecard_lines(org):
    """Every stored scorecard line of the organization, comparable between runs."""
    from scorecards.models import ScorecardLine

    return sorted(
        ScorecardLine.objects.for_org(org).values_list(
            "kpi_id", "period_id", "actual", "score", "status"
        )
    )


@contextmanager
def recalculation_marks_held(org):
    """A second connection holding the organization's recalculation marks FOR UPDATE until
    the block ends: an import (an upload, a feed run) that updates them waits there, in the
    middle of its transaction, where a test can kill its worker."""
    from metrics.models import PendingRecalculation

    db = connection.settings_dict
    blocker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT set_config('perfhub.org_id', %s, true)", [str(org.pk)])
            cursor.execute(
                f"SELECT 1 FROM {PendingRecalculation._meta.db_table}"  # noqa: S608
                " WHERE organization_id = %s FOR UPDATE",
                [org.pk],
            )
        yield blocker
    finally:
        blocker.rollback()
        blocker.close()


def waits_on_a_lock(blocker) -> bool:
    """Whether another session of the database is waiting for a lock."""
    with blocker.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0
