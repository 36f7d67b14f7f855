"""``benchmark dashboard``: the company dashboard under concurrent requests, against /healthz.

Builds a throwaway organization of D departments × K KPIs × M months (as the roll-up
benchmark does), computes its scorecards, signs an executive in, serves the real WSGI
application on a loopback port (threaded) and sends concurrent requests to the dashboard
and to /healthz, alternating, in the same run. Prints the median and 95th percentile of
each and the ratio of the medians: first as served (the dashboard's body cached per data
version), then with the cache off (every request computes the body: the first view after a
roll-up), under "uncached". /healthz is measured with its database check only (no
Redis or worker ping, which would wait for a worker): the cheapest request that still
reaches the database - the honest floor for a page.
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.test import Client

from departments.models import Membership, Role
from metrics.selectors import period_list
from perfhub.tenancy import org_atomic
from scorecards import rollup

from .imports import _roll_ups_not_requested
from .rollup import _cleanup, _setup

HELP = "Dashboard latency under concurrent requests against /healthz (same run)."


def add_arguments(parser) -> None:
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=25)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint (200)")
    parser.add_argument("--concurrency", type=int, default=4)


class _Server(WSGIServer):
    """A fixed pool of threads, as gunicorn's gthread workers: each keeps its database
    connection between requests (a thread per request would open one per request and,
    with persistent connections, exhaust the server's slots)."""

    pool: ThreadPoolExecutor | None = None

    def process_request(self, request, client_address):
        self.pool.submit(self._handle, request, client_address)

    def _handle(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - as socketserver does: report, keep serving
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # keep the benchmark's output clean
        pass


def run(*, log, departments=200, kpis=25, months=24, requests=200, concurrency=4, **_o):
    # The page as production serves it, minus HTTPS (loopback) and collected static files.
    settings.SECURE_SSL_REDIRECT = False
    settings.REDIS_URL = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with _roll_ups_not_requested():
        world = _setup(log, departments, kpis, months)
        try:
            return _measure(log, world, requests, concurrency)
        finally:
            log("deleting the throwaway organization ...")
            _cleanup(world)


def _measure(log, world, requests, concurrency) -> dict:
    org, user = world["org"], world["user"]
    with org_atomic(org):
        Membership.objects.for_org(org).filter(user=user).update(role=Role.EXECUTIVE)
        periods = list(period_list(org=org))
    log("computing scorecards ...")
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    latest = max((p for p in periods if p.kind == "month"), key=lambda p: p.start)
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler
    )
    server.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="wsgi")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
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

    def series(label):
        for name in urls:  # warm up: templates, connections (and the cached body)
            fetch(name)
        log(f"{label}: {requests} requests to each, {concurrency} at a time ...")
        order = [name for _ in range(requests) for name in urls]
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(fetch, order))
        figures = {}
        for name in urls:
            times = sorted(t for n, t in results if n == name)
            figures[name] = {
                "median_ms": round(statistics.median(times) * 1000, 2),
                "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
            }
        figures["ratio_of_medians"] = round(
            figures["dashboard"]["median_ms"] / figures["healthz"]["median_ms"], 2
        )
        return figures

    cache_seconds = settings.PERFHUB_DASHBOARD_CACHE_SECONDS
    try:
        # As served: the body cached per data version (scorecards.dashboard_cache).
        served = series("cached body")
        # Every request computing the body (the first view after a roll-up).
        settings.PERFHUB_DASHBOARD_CACHE_SECONDS = 0
        computed = series("body computed")
    finally:
        settings.PERFHUB_DASHBOARD_CACHE_SECONDS = cache_seconds
        server.shutdown()
        server.pool.shutdown(wait=True)
        server.server_close()
    return {
        "actuals": world["actuals"],
        "requests_each": requests,
        "concurrency": concurrency,
        "dashboard": served["dashboard"],
        "healthz": served["healthz"],
        "ratio_of_medians": served["ratio_of_medians"],
        "uncached": computed,
    }
