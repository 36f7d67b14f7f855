"""The real WSGI application served on a loopback port by a fixed pool of threads, as
gunicorn's gthread workers serve it (`make serve`): what the dashboard and burst benchmarks
send their requests to."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.wsgi import get_wsgi_application


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


def as_production_minus_https() -> None:
    """The settings of production, minus HTTPS (loopback) and collected static files."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@contextmanager
def serve(threads: int) -> Iterator[str]:
    """Serve the application with `threads` threads; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler
    )
    server.pool = ThreadPoolExecutor(threads, thread_name_prefix="wsgi")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.pool.shutdown(wait=True)
        server.server_close()


def p95(times) -> float:
    """The 95th percentile (nearest rank) of these times."""
    ordered = sorted(times)
    return ordered[max(math.ceil(len(ordered) * 0.95) - 1, 0)]
