"""The whole stack for the browser journeys, started once per test session:

- a database of its own (`<DATABASE_URL's name>_e2e`), migrated and loaded with the demo
  organization by `manage.py` subprocesses, dropped at the end. The journeys never touch
  pytest-django's test database, so transactional tests elsewhere cannot flush their data;
- a redis-server of its own on a port derived from PERFHUB_TEST_REDIS_PORT;
- a real Celery worker and a real gunicorn (production settings, `DEBUG=0`, static files
  collected into a temporary STATIC_ROOT and served by whitenoise) on a free port;
- Debian's Chromium driven by Playwright (no browser download).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
DEMO_PASSWORD = "perfhub-demo"
REDIS_PORT = (
    int(os.environ.get("PERFHUB_TEST_REDIS_PORT", "6391"))
    + 50
    + int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0)
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _e2e_database_url() -> tuple[str, str, str]:
    """(url of the journeys' database, url of the maintenance database, its name)."""
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfhub"))
    if not base.scheme.startswith("postgres"):
        pytest.skip("browser journeys need PostgreSQL (DATABASE_URL)")
    name = f"{base.path.lstrip('/') or 'perfhub'}_e2e"
    return (
        base._replace(path=f"/{name}").geturl(),
        base._replace(scheme="postgresql", path="/postgres").geturl(),
        name,
    )


def _recreate_database(maintenance_url: str, name: str, *, drop_only: bool = False) -> None:
    conn = psycopg2.connect(maintenance_url, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


class Stack:
    """The processes of one session and what the tests need to reach them."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[tuple[subprocess.Popen, object]] = []
        self.db_url, self.maintenance_url, self.db_name = _e2e_database_url()
        # The app (demo, gunicorn, worker) logs in as the application role, as in
        # production and as the rest of the suite; migrations run as the owner.
        owner = urlparse(self.db_url)
        role = os.environ.get("DATABASE_APP_ROLE", "perfhub_app")
        password = os.environ.get("DATABASE_APP_PASSWORD", "")
        login = role + (f":{password}" if password else "")
        self.app_url = owner._replace(
            netloc=f"{login}@{owner.hostname}:{owner.port or 5432}"
        ).geturl()
        self.redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.org = "demo"
        # The chat-platform stand-in of the channel journey (tests/messaging/receiver.py)
        # listens here; the app may post to it.
        self.receiver_port = _free_port()

    def env(self, **extra) -> dict:
        env = dict(os.environ)
        for key in ("PYTEST_CURRENT_TEST", "DJANGO_SETTINGS_MODULE"):
            env.pop(key, None)
        env.update(
            DATABASE_URL=self.app_url,
            DEBUG="0",
            SECRET_KEY="browser-journeys-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            STATIC_ROOT=str(self.tmp / "static"),
            PERFHUB_RECONCILE_SECONDS="2",
            PERFHUB_CHANNEL_EXTRA_HOSTS=f"127.0.0.1:{self.receiver_port}",
            PERFHUB_CHANNEL_RETRY_BASE_SECONDS="1",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.pop("REDIS_URL", None)
        env.update(extra)
        return env

    def manage(self, *args, **env) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**env),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env(REDIS_URL=self.redis_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((proc, log))
        return proc

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        _recreate_database(self.maintenance_url, self.db_name)
        self.manage("migrate", "--noinput", DATABASE_URL=self.db_url)
        # Without REDIS_URL the demo's scorecards are computed in-process, so they are there.
        self.manage("demo")
        self.manage("collectstatic", "--noinput")
        self.spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        self._wait(lambda: redis.Redis.from_url(self.redis_url).ping(), "redis-server")
        self.spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "perfhub",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
        )
        self.spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "perfhub.wsgi",
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                "8",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
            ],
        )
        self._wait(lambda: urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2), "web")

        def worker_ready():
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as r:
                return b'"ok"' in r.read().split(b'"workers"')[1]

        self._wait(worker_ready, "the Celery worker", seconds=60)

    def _wait(self, probe, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for proc, _log in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited: {self.log('web')[-2000:]}")
            try:
                if probe():
                    return
            except Exception:  # noqa: BLE001, S110 - not up yet
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not start")

    def stop(self) -> None:
        for proc, log in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()
        _recreate_database(self.maintenance_url, self.db_name, drop_only=True)

    def sql(self, query: str, params=()) -> list[tuple]:
        """Read the journeys' database directly (to check what was saved)."""
        conn = psycopg2.connect(urlparse(self.db_url)._replace(scheme="postgresql").geturl())
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not shutil.which("chromium"):
        pytest.fail("Debian's chromium is missing: apt-get install chromium fonts-noto-cjk")
    stack = Stack(tmp_path_factory.mktemp("e2e"))
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")
