import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_redis(client, settings):
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["redis"] == "ok"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_health_when_redis_is_down_says_so_and_app_still_serves(client, admin, org):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["redis"].startswith("down") and body["status"] == "degraded"
    client.force_login(admin)
    assert client.get(f"/o/{org.slug}/").status_code == 200
