"""GET /healthz: the state of the database, Redis and the Celery workers.

200 whenever the app can serve (the database answers); Redis or workers being down makes the
answer "degraded", not an error, because saves still succeed and jobs catch up later."""

import time

import redis
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from perfhub.celery import app


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return f"down: {exc.__class__.__name__}"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured (jobs run in-process)"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"down: {exc.__class__.__name__}"


def _workers(redis_state: str) -> dict:
    if not settings.REDIS_URL:
        return {"state": "in-process", "count": 0}
    if redis_state != "ok":
        return {"state": "unknown (broker down)", "count": 0}
    try:
        # limit=1: answer as soon as one worker replies instead of waiting the full timeout.
        replies = app.control.ping(timeout=0.5, limit=1)
    except Exception as exc:  # noqa: BLE001
        return {"state": f"unknown: {exc.__class__.__name__}", "count": 0}
    return {"state": "ok" if replies else "none answering", "count": len(replies)}


@never_cache
@require_GET
@transaction.non_atomic_requests  # must answer 503, not fail, when the database is down
def healthz(request):
    started = time.monotonic()
    database = _database()
    redis_state = _redis()
    workers = _workers(redis_state)
    healthy = database == "ok" and (
        not settings.REDIS_URL or (redis_state == "ok" and workers["state"] == "ok")
    )
    body = {
        "status": "ok" if healthy else ("degraded" if database == "ok" else "down"),
        "database": database,
        "redis": redis_state,
        "workers": workers,
        "seconds": round(time.monotonic() - started, 4),
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)
