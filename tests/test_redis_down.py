"""Redis down (or hung) never breaks a page: every route, generated from the URL
configuration, called by every role of the organization with the cache and the broker
pointed at a Redis server of the test's own, which is then stopped. The cache misses and
the page is computed; a saved entry grid still saves and the next page says the figures are
being recalculated; when Redis is back the cache is used again."""

import re
import socket
import time

import pytest
import redis
from rest_framework.test import APIClient

from metrics.models import Actual, PendingRecalculation
from perfhub import redis_cache as redis_cache_module
from perfhub import settings as production
from tests.metrics.test_entry_views import form as entry_form
from tests.routes import ROLES, every_route, role_clients
from tests.test_isolation_routes import victim as victim  # noqa: PLC0414 - the fixture

pytestmark = pytest.mark.django_db

# A page waits at most this long for a Redis that is down or does not answer.
SLOW = 3.0


def redis_cache(settings, url):
    """The production cache configuration, on this Redis."""
    settings.CACHES = {"default": production.redis_cache(url)}


def walk(objects, role_users):
    """Every route as every role; the problems (5xx, slow answers) and the count."""
    problems, count, slowest = [], 0, 0.0
    routes = every_route(objects)
    for role, pages, api in role_clients(role_users):
        for url, is_api in routes:
            started = time.monotonic()
            response = api.get(url, format="json") if is_api else pages.get(url)
            took = time.monotonic() - started
            if response.status_code >= 500:
                problems.append(f"{role} GET {url}: {response.status_code}")
            if took > SLOW:
                problems.append(f"{role} GET {url}: {took:.1f} s")
            count += 1
            slowest = max(slowest, took)
    print(f"{count} requests with Redis down, the slowest {slowest:.2f} s")
    return problems, count


def unchanged(actual):
    """The cells of an actual already entered, posted as the page showed them."""
    key = actual.kpi_id
    return {f"v-{key}": "10", f"o-{key}": "10", f"n-{key}": actual.note}


def cached_keys(server, pattern="*perfhub:*"):
    return redis.Redis.from_url(server.url).keys(pattern)


def test_every_page_works_as_every_role_with_redis_down_and_the_cache_returns(
    objects, role_users, redis_server, point_app_at, settings, manager, sales_kpis, month
):
    victim = objects
    redis_cache(settings, redis_server.url)
    point_app_at(redis_server.url)
    org = victim["org"]
    pages = APIClient()
    pages.force_login(manager)
    assert pages.get(f"/o/{org.slug}/entries/").status_code == 200
    assert cached_keys(redis_server)  # Redis up: the cache is Redis

    redis_server.stop()
    problems, count = walk(victim, role_users)
    assert problems == []
    assert count >= len(ROLES) * 55

    # A saved grid: saved, and the page after the redirect says it is being recalculated.
    kpi = sales_kpis["customer_satisfaction"]
    data = entry_form(month, {kpi: ("92", "", "0", "")}) | unchanged(victim["actual"])
    response = pages.post(f"/o/{org.slug}/entries/", data)
    assert response.status_code == 302, re.findall(r"invalid-feedback[^<]*<", response.text)
    assert Actual.objects.for_org(org).filter(kpi=kpi, period=month).exists()
    assert PendingRecalculation.objects.for_org(org).filter(period=month).exists()
    page = pages.get(response["Location"])
    assert page.status_code == 200
    assert "being recalculated" in page.content.decode()
    dashboard = pages.get(f"/o/{org.slug}/scorecards/{victim['department'].pk}/?period={month.pk}")
    assert dashboard.status_code == 200
    assert "being recalculated" in dashboard.content.decode()

    redis_server.start()
    time.sleep(redis_cache_module.PAUSE_SECONDS)  # then the cache tries Redis again
    for _ in range(2):  # the first call after the restart may find the pooled socket closed
        assert pages.get(f"/o/{org.slug}/entries/").status_code == 200
    assert cached_keys(redis_server, "*perfhub:switcher:*")  # the cache is used again


@pytest.fixture(autouse=True)
def short_pause(monkeypatch):
    """The pause after a failure, shorter; no failure remembered from another test."""
    monkeypatch.setattr(redis_cache_module, "PAUSE_SECONDS", 0.5)
    redis_cache_module._failed_at.clear()
    yield
    redis_cache_module._failed_at.clear()


@pytest.fixture
def objects(request):
    """The organization with one of everything a route can name (the isolation test's)."""
    return request.getfixturevalue("victim")


@pytest.fixture
def hung_redis():
    """A port that accepts connections and never answers (a hung Redis)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_a_hung_redis_holds_a_page_only_briefly(
    objects, manager, hung_redis, settings, point_app_at, monkeypatch
):
    victim = objects
    redis_cache(settings, hung_redis)
    point_app_at(hung_redis)
    pages = APIClient()
    pages.force_login(manager)
    org = victim["org"]
    monkeypatch.setattr(redis_cache_module, "PAUSE_SECONDS", 60)
    for url in (f"/o/{org.slug}/entries/", f"/o/{org.slug}/dashboard/", "/orgs/"):
        started = time.monotonic()
        response = pages.get(url)
        took = time.monotonic() - started
        assert response.status_code == 200, url
        # One connection attempt waits its timeout; the next calls fail at once.
        assert took < 2.0, f"{url}: {took:.1f} s"
