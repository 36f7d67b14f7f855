"""``benchmark dashboard``: the company dashboard under concurrent requests, against /healthz.

Builds a throwaway organization of D departments × K KPIs × M months (as the roll-up
benchmark does), computes its scorecards, signs an executive in, serves the real WSGI
application on a loopback port (threaded) and sends concurrent requests to the dashboard
and to /healthz, alternating, in the same run. Prints the median and 95th percentile of
each and the ratio of the medians: first as served (the dashboard's body cached per data
version), then with the cache off (every request computes the body: the first view after a
roll-up had it not been warmed), under "uncached"; and, under "first_view_after_change",
the first view after each of a series of saves, each recalculated by the job a worker runs
(which then warms the default view, scorecards.dashboard_warm), while the other clients ask
for /healthz. /healthz is measured with its database check only (no
Redis or worker ping, which would wait for a worker): the cheapest request that still
reaches the database - the honest floor for a page.
"""

from __future__ import annotations

import random
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.conf import settings
from django.test import Client

from departments.models import Membership, Role
from metrics.models import Actual
from metrics.selectors import period_list
from metrics.services.actuals import ActualInput, actuals_save
from perfhub.celery import app as celery_app
from perfhub.tenancy import org_atomic
from scorecards import rollup
from scorecards.tasks import recalculate

from .imports import _roll_ups_not_requested
from .rollup import _cleanup, _setup, settle_scorecards
from .serving import as_production_minus_https, p95, serve

HELP = "Dashboard latency under concurrent requests against /healthz (same run)."


def add_arguments(parser) -> None:
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=25)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint (200)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--changes", type=int, default=20, help="saves, each followed by its first view (20)"
    )


def run(*, log, departments=200, kpis=25, months=24, requests=200, concurrency=4, changes=20, **_o):
    as_production_minus_https()
    settings.REDIS_URL = ""  # /healthz: its database check only
    with _roll_ups_not_requested():
        world = _setup(log, departments, kpis, months)
        try:
            return _measure(log, world, requests, concurrency, changes)
        finally:
            log("deleting the throwaway organization ...")
            _cleanup(world)


def _measure(log, world, requests, concurrency, changes=20) -> dict:
    org, user = world["org"], world["user"]
    with org_atomic(org):
        Membership.objects.for_org(org).filter(user=user).update(role=Role.EXECUTIVE)
        periods = list(period_list(org=org))
    log("computing scorecards ...")
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    settle_scorecards(log)
    with org_atomic(org):  # the latest month with actuals (the one the dashboard opens on)
        month_ids = set(Actual.objects.for_org(org).values_list("period_id", flat=True))
    latest = max((p for p in periods if p.pk in month_ids), key=lambda p: p.start)
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    with serve(concurrency) as base:
        return _series(log, world, base, cookie, latest, requests, concurrency, changes)


def _series(log, world, base, cookie, latest, requests, concurrency, changes) -> dict:
    org, user = world["org"], world["user"]
    urls = {
        "dashboard": f"{base}/o/{org.slug}/dashboard/?period={latest.pk}",
        "healthz": f"{base}/healthz",
    }

    def fetch(name):
        request = urllib.request.Request(urls[name], headers={"Cookie": cookie})  # noqa: S310
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            body = response.read()
            if response.status != 200 or (name == "dashboard" and b"comparison-chart" not in body):
                raise RuntimeError(f"{name} answered {response.status}")
        return name, time.perf_counter() - started

    def figures_of(results):
        figures = {}
        for name in urls:
            times = sorted(t for n, t in results if n == name)
            figures[name] = {
                "median_ms": round(statistics.median(times) * 1000, 2),
                "p95_ms": round(p95(times) * 1000, 2),
            }
        figures["ratio_of_medians"] = round(
            figures["dashboard"]["median_ms"] / figures["healthz"]["median_ms"], 2
        )
        return figures

    def series(label):
        for name in urls:  # warm up: templates, connections (and the cached body)
            fetch(name)
        log(f"{label}: {requests} requests to each, {concurrency} at a time ...")
        order = [name for _ in range(requests) for name in urls]
        with ThreadPoolExecutor(concurrency) as pool:
            return figures_of(list(pool.map(fetch, order)))

    with org_atomic(org):
        pairs = list(
            Actual.objects.for_org(org)
            .filter(period=latest, kpi__weight__gt=0)
            .values_list("kpi_id", "value", "version")
        )
    rng = random.Random(15)

    def change() -> None:
        """A manager's save in the latest month, its recalculation job run as a worker runs
        it, and what that job publishes (the warm dashboards) run here too, as without a
        broker: the page then asked for is the first view after a change."""
        kpi_id, value, version = pairs.pop(rng.randrange(len(pairs)))
        new = value + Decimal("0.01")
        with org_atomic(org):
            actuals_save(
                org=org,
                by=user,
                source="api",
                can_enter=lambda d: True,
                entries=[ActualInput(kpi_id, latest.pk, new, "benchmark", version)],
            )
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            recalculate.apply(kwargs={"organization_id": org.pk})
        finally:
            celery_app.conf.task_always_eager = eager

    def first_views() -> dict:
        """After each of `changes` saves, the first view of the dashboard while the other
        clients ask for /healthz, as many at a time as the served figures."""
        log(f"first view after a change: {changes} saves, each then viewed ...")
        results: list[tuple[str, float]] = []
        with ThreadPoolExecutor(concurrency) as pool:
            for _ in range(changes):
                change()
                results += pool.map(fetch, ["dashboard"] + ["healthz"] * max(concurrency - 1, 1))
        return figures_of(results)

    cache_seconds = settings.PERFHUB_DASHBOARD_CACHE_SECONDS
    try:
        # As served: the body cached per data version (scorecards.dashboard_cache).
        served = series("cached body")
        # The first view after a change: warmed by the roll-up's job (scorecards.dashboard_warm).
        first = first_views()
        # Every request computing the body (the first view after a roll-up, if not warmed).
        settings.PERFHUB_DASHBOARD_CACHE_SECONDS = 0
        computed = series("body computed")
    finally:
        settings.PERFHUB_DASHBOARD_CACHE_SECONDS = cache_seconds
    return {
        "actuals": world["actuals"],
        "period_targets": world.get("period_targets", 0),
        "requests_each": requests,
        "concurrency": concurrency,
        "dashboard": served["dashboard"],
        "healthz": served["healthz"],
        "ratio_of_medians": served["ratio_of_medians"],
        "first_view_after_change": {"changes": changes, **first},
        "uncached": computed,
    }
