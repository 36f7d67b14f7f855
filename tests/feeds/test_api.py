"""The feeds API: admins only, secrets write-only, the allow-list checked on save."""

import json

import pytest
from django.db import connection

from feeds.models import DataFeed, FeedRun
from feeds.services import runs

from .conftest import feed_fields, sql_feed
from .sources import READER_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings")]


def base(org):
    return f"/api/v1/orgs/{org.slug}/"


def body(db, **extra):
    return feed_fields(db, **{"schedule": "15 5 * * *", **extra})


def test_create_read_and_update_keep_secrets_write_only(org, admin, api, erp, loopback):
    client = api(admin)
    response = client.post(base(org) + "feeds/", body(erp), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert "url" not in created and "password" not in created
    assert created["has_password"] is True
    assert created["address"] == f"postgresql://127.0.0.1:{erp.port}/{erp.name}"
    text = json.dumps(client.get(base(org) + "feeds/").json())
    text += json.dumps(client.get(base(org) + f"feeds/{created['id']}/").json())
    assert READER_PASSWORD not in text and erp.reader not in text
    update = body(erp, url="", password="", name="ERP 2")
    response = client.put(base(org) + f"feeds/{created['id']}/", update, format="json")
    assert response.status_code == 200 and response.json()["name"] == "ERP 2"
    feed = DataFeed.objects.for_org(org).get()
    assert feed.url == erp.url() and feed.password == READER_PASSWORD
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM feeds_datafeed WHERE id = %s", [feed.pk])
        assert READER_PASSWORD not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "postgresql://reader@192.168.77.1:5432/erp"}, "url"),
        ({"url": "mysql://reader@127.0.0.1/erp"}, "url"),
        ({"query": "UPDATE erp_rows SET amount = 0"}, "query"),
        ({"schedule": "* * *"}, "schedule"),
        ({"kind": "ftp"}, "kind"),
        ({"valeu_column": "x"}, "valeu_column"),
    ],
)
def test_bad_input_answers_400_on_its_field(org, admin, api, erp, loopback, change, field):
    response = api(admin).post(base(org) + "feeds/", body(erp, **change), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not DataFeed.objects.for_org(org).exists()


def test_run_and_dry_run_answer_202_with_the_run(org, admin, api, erp, loopback, sales_kpis):
    feed = sql_feed(org, erp)
    client = api(admin)
    response = client.post(base(org) + f"feeds/{feed.pk}/dry-run/")
    assert response.status_code == 202
    run = response.json()
    assert run["dry_run"] is True and run["state"] == "queued" and run["trigger"] == "api"
    runs.run_attempt(org=org, run_id=run["id"])
    listed = client.get(base(org) + f"feed-runs/?feed={feed.pk}").json()
    assert listed["count"] == 1
    done = listed["results"][0]
    assert (done["state"], done["read"], done["created"]) == ("done", 3, 3)
    assert len(done["changes"]) == 3
    assert client.post(base(org) + f"feeds/{feed.pk}/run/").status_code == 202
    assert FeedRun.objects.for_org(org).filter(dry_run=False).count() == 1


def test_allowed_hosts(org, admin, api):
    client = api(admin)
    response = client.post(
        base(org) + "allowed-hosts/", {"address": "erp.example.com", "port": 3306}, format="json"
    )
    assert response.status_code == 201
    host_id = response.json()["id"]
    response = client.post(base(org) + "allowed-hosts/", {"address": "::/0"}, format="json")
    assert response.status_code == 400 and "address" in response.json()
    assert client.get(base(org) + "allowed-hosts/").json()["count"] == 1
    assert client.delete(base(org) + f"allowed-hosts/{host_id}/").status_code == 204


def test_hr_gets_403_and_another_organization_404(org, hr, outsider, other_org, api, erp, loopback):
    feed = sql_feed(org, erp)
    for path in ("feeds/", f"feeds/{feed.pk}/", "feed-runs/", "allowed-hosts/"):
        assert api(hr).get(base(org) + path).status_code == 403
        assert api(outsider).get(base(org) + path).status_code == 404
    assert api(hr).post(base(org) + f"feeds/{feed.pk}/run/").status_code == 403
    assert api(outsider).post(base(other_org) + f"feeds/{feed.pk}/run/").status_code == 404
    assert not FeedRun.objects.for_org(org).exists()
