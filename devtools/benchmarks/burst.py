"""``benchmark burst``: month-end on the real stack - saves through the public API until
their values show in the scorecards.

Builds a throwaway organization of D departments × K KPIs × M months (as the roll-up
benchmark does) and computes its scorecards, then runs the stack production runs: the
WSGI application served by a pool of threads (as gunicorn's gthread workers), a real Celery
worker subprocess (as `make worker`) on the Redis of REDIS_URL, and PostgreSQL as the role
of DATABASE_URL. Through the API (token authentication) it measures:

- single saves, one after the other: the time from sending a save until its value shows in
  its scorecard line (polling the database) - p50 and p95;
- a burst: `--saves` saves sent by `--clients` threads at once; the time from the start
  until every one of them shows (and until every one was answered);
- the recalculation per save: the recalculation job (`reviews.recalculate`, draining what
  is marked) timed here after one save at a time, the worker's own log of its jobs left out
  of it (median of `--repeat`); and what the worker spent on recalculations and on warming
  dashboards during the burst, from its log, per save. Compare `--departments 50` with
  `--departments 800`: a save should cost what it changes, not what the organization holds.
"""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path
from unittest import mock
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from accounts.services import token_create
from metrics.models import Actual, Period
from metrics.selectors import period_list
from metrics.services.actuals import ActualInput, actuals_save
from perfhub.celery import app as celery_app
from perfhub.tenancy import org_atomic
from scorecards import dashboard_warm, rollup
from scorecards.models import ScorecardLine
from scorecards.tasks import recalculate

from .imports import _roll_ups_not_requested
from .rollup import _cleanup, _setup, settle_scorecards
from .serving import as_production_minus_https, p95, serve

HELP = "Saves through the API on the real stack until they show in the scorecards."
ROOT = Path(__file__).resolve().parents[2]
POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 300


def add_arguments(parser) -> None:
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=25)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--saves", type=int, default=60, help="saves in the burst (60)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (8)")
    parser.add_argument("--singles", type=int, default=20, help="single saves timed (20)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="recalculations timed after one save (5)"
    )
    parser.add_argument("--worker-concurrency", type=int, default=2, help="as `make worker` (2)")
    parser.add_argument(
        "--worker-log", default="", help="keep the worker's log in this file (else deleted)"
    )


def run(
    *,
    log,
    departments=200,
    kpis=25,
    months=24,
    saves=60,
    clients=8,
    singles=20,
    repeat=5,
    worker_concurrency=2,
    worker_log="",
    **_options,
) -> dict:
    if celery_app.conf.task_always_eager or not settings.REDIS_URL:
        raise RuntimeError("benchmark burst needs REDIS_URL: a real broker and worker")
    if connection.vendor != "postgresql":
        log("warning: not PostgreSQL; these figures say nothing about production")
    as_production_minus_https()
    with _roll_ups_not_requested():
        world = _setup(log, departments, kpis, months)
    worker = None
    try:
        with org_atomic(world["org"]):
            periods = list(period_list(org=world["org"]))
        log("computing scorecards ...")
        rollup.recalculate(org=world["org"], period_ids=[p.pk for p in periods])
        settle_scorecards(log)
        world["token"] = token_create(user=world["user"])[1]
        world["pairs"] = _pairs(world, singles + saves + repeat + 1)
        log_path = (
            Path(worker_log)
            if worker_log
            else Path(tempfile.mkstemp(prefix="benchmark-burst-worker-", suffix=".log")[1])
        )
        worker = _start_worker(log_path, worker_concurrency)
        with serve(clients) as base:
            figures = _measure(log, world, base, singles, saves, clients)
        _stop(worker)
        worker = None
        figures["worker"] = _worker_figures(log_path, saves)
        figures["recalculation_per_save"] = _recalculation_per_save(log, world, repeat)
        if not worker_log:
            log_path.unlink()
        return {
            "departments": departments,
            "kpis": kpis,
            "months": months,
            "actuals": world["actuals"],
            "period_targets": world.get("period_targets", 0),
            "worker_concurrency": worker_concurrency,
            **figures,
        }
    finally:
        if worker is not None:
            _stop(worker)
        log("deleting the throwaway organization ...")
        _cleanup(world)


def _pairs(world, count: int) -> list[tuple[int, int, Decimal, int]]:
    """`count` distinct (KPI, month) pairs of scored KPIs with an actual, in random order:
    (kpi id, period id, value, version)."""
    with org_atomic(world["org"]):
        rows = list(
            Actual.objects.for_org(world["org"])
            .filter(kpi__weight__gt=0)
            .values_list("kpi_id", "period_id", "value", "version")
        )
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} actuals for {count} saves: a larger organization")
    return random.Random(15).sample(rows, count)


def _worker_env() -> dict[str, str]:
    """The worker connects as this process does (the application role of DATABASE_URL),
    to the same database and Redis."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"], safe="")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_worker(log_path: Path, concurrency: int) -> subprocess.Popen:
    with open(log_path, "w") as log_file:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "perfhub",
                "worker",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                f"--hostname=benchmark-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=_worker_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )


def _stop(worker: subprocess.Popen) -> None:
    """A warm shutdown (SIGTERM), then SIGKILL of its process group after 20 s."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _measure(log, world, base, singles: int, saves: int, clients: int) -> dict:
    org, pairs = world["org"], world["pairs"]
    url = f"{base}/api/v1/orgs/{org.slug}/actuals/"
    auth = f"Token {world['token']}"

    def save(pair) -> float:
        """Send one save; returns when it was sent (perf_counter)."""
        kpi_id, period_id, value, version = pair
        body = (
            f'{{"kpi": {kpi_id}, "period": {period_id}, "value": "{_new(value)}", '
            f'"note": "benchmark", "version": {version}}}'
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - loopback
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": auth},
        )
        sent = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            if response.status not in (200, 201):
                raise RuntimeError(f"the API answered {response.status}")
            response.read()
        return sent

    log("warming up (the worker starting, the first save) ...")
    first = pairs.pop()
    save(first)
    _wait_visible(org, [first], time.perf_counter())

    log(f"{singles} single saves, one at a time ...")
    single_times = []
    for _ in range(singles):
        pair = pairs.pop()
        sent = save(pair)
        single_times.append(_wait_visible(org, [pair], sent)[0] - sent)

    log(f"a burst of {saves} saves from {clients} clients ...")
    burst = [pairs.pop() for _ in range(saves)]
    answered: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for pair in burst[n::clients]:
            save(pair)
            with lock:
                answered.append(time.perf_counter())

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    shown = _wait_visible(org, burst, started)
    for thread in threads:
        thread.join()
    if len(answered) != saves:
        raise RuntimeError(f"{saves - len(answered)} saves of the burst failed")
    single_times.sort()
    return {
        "single_save_visible": {
            "saves": singles,
            "p50_s": round(statistics.median(single_times), 3),
            "p95_s": round(p95(single_times), 3),
        },
        "burst": {
            "saves": saves,
            "clients": clients,
            "all_answered_s": round(max(answered) - started, 3),
            "all_visible_s": round(max(shown) - started, 3),
            "visible_p50_s": round(statistics.median(t - started for t in shown), 3),
        },
    }


def _new(value: Decimal) -> Decimal:
    """Another value, close to the old one (a save that changes its line)."""
    return (value + Decimal("0.37")).quantize(Decimal("0.01"))


def _wait_visible(org, pairs, since: float) -> list[float]:
    """Poll the scorecard lines of these (KPI, month) pairs until each shows its new value;
    returns when each was first seen (perf_counter)."""
    wanted = {(kpi_id, period_id): _new(value) for kpi_id, period_id, value, _v in pairs}
    seen: dict[tuple[int, int], float] = {}
    kpi_ids = {k for k, _p in wanted}
    period_ids = {p for _k, p in wanted}
    while len(seen) < len(wanted):
        if time.perf_counter() - since > TIMEOUT_SECONDS:
            raise RuntimeError(f"{len(wanted) - len(seen)} saves not visible after 300 s")
        with org_atomic(org):
            lines = ScorecardLine.objects.for_org(org).filter(
                kpi_id__in=kpi_ids, period_id__in=period_ids
            )
            rows = list(lines.values_list("kpi_id", "period_id", "actual"))
        now = time.perf_counter()
        for kpi_id, period_id, actual in rows:
            key = (kpi_id, period_id)
            if key in wanted and key not in seen and actual == wanted[key]:
                seen[key] = now
        if len(seen) < len(wanted):
            time.sleep(POLL_SECONDS)
    return [seen[key] for key in wanted]


# A job's line in the worker's log; a job for an organization that no longer exists (left in
# the queue by an earlier run) answers None and is not counted.
SUCCEEDED = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s: (?!None$)", re.M)


def _worker_figures(log_path: Path, saves: int) -> dict:
    """What the worker's jobs took (from its log), over the whole run, and per save of the
    burst: recalculations and the warm dashboards."""
    runs: dict[str, list[float]] = {}
    for name, seconds in SUCCEEDED.findall(log_path.read_text(errors="replace")):
        runs.setdefault(name, []).append(float(seconds))
    recalcs = runs.get(recalculate.name, [])
    warms = runs.get(dashboard_warm.WARM_TASK, [])
    return {
        "recalculations": len(recalcs),
        "recalculation_seconds": round(sum(recalcs), 3),
        "recalculation_median_s": round(statistics.median(recalcs), 3) if recalcs else None,
        "warmings": len(warms),
        "warming_seconds": round(sum(warms), 3),
        "warming_median_s": round(statistics.median(warms), 3) if warms else None,
    }


def _recalculation_per_save(log, world, repeat: int) -> dict:
    """One save, then the recalculation job as the worker runs it (draining what is
    marked), timed here; `repeat` times. The warming the job publishes is left out (it
    runs as a job of its own, after the scorecards are committed)."""
    org, pairs = world["org"], world["pairs"]
    times = []
    log(f"recalculation after one save, {repeat} times ...")
    with _roll_ups_not_requested(), mock.patch.object(dashboard_warm, "warm_enqueue"):
        for _ in range(repeat):
            kpi_id, period_id, value, version = pairs.pop()
            with org_atomic(org):
                actuals_save(
                    org=org,
                    by=world["user"],
                    source="api",
                    can_enter=lambda d: True,
                    entries=[ActualInput(kpi_id, period_id, _new(value), "benchmark", version)],
                )
            eager = celery_app.conf.task_always_eager
            celery_app.conf.task_always_eager = True
            try:
                started = time.perf_counter()
                result = recalculate.apply(kwargs={"organization_id": org.pk})
                times.append(time.perf_counter() - started)
            finally:
                celery_app.conf.task_always_eager = eager
            if not result.successful():
                raise RuntimeError(f"the recalculation failed: {result.traceback}")
    with org_atomic(org):
        periods = Period.objects.for_org(org).count()
    return {
        "runs": repeat,
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "periods_in_organization": periods,
    }
