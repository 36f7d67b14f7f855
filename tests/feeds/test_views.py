"""The feed pages: admins only (HR 403, another organization 404); the address and the
password are write-only (never in the page); the schedule follows the feed."""

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from feeds.models import AllowedHost, DataFeed, FeedRun
from feeds.services import runs

from .conftest import feed_fields, sql_feed
from .sources import READER_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings")]


def url(name, org, **kwargs):
    return reverse(name, kwargs={"slug": org.slug, **kwargs})


def form(db, **extra):
    return feed_fields(db, **{"is_enabled": "on", "alert_after": "3", **extra})


def test_admin_creates_a_feed_with_its_schedule(org, admin, login, erp, loopback):
    client = login(admin)
    response = client.post(url("feed_create", org), form(erp))
    feed = DataFeed.objects.for_org(org).get()
    assert response.status_code == 302
    assert response["Location"] == url("feed_detail", org, pk=feed.pk)
    task = PeriodicTask.objects.get(name=f"feed:{org.pk}:{feed.pk}")
    assert task.task == "feeds.run_scheduled" and task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("0", "6")
    assert json.loads(task.kwargs) == {"organization_id": org.pk, "feed_id": feed.pk}
    # Changed, disabled, then unscheduled and deleted: the beat entry follows.
    client.post(
        url("feed_edit", org, pk=feed.pk),
        form(erp, url="", password="", schedule="30 7 * * 1", is_enabled=""),
    )
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "7", "1")
    assert not task.enabled
    feed.refresh_from_db()
    assert feed.url == erp.url() and feed.password == READER_PASSWORD  # blank keeps them
    client.post(url("feed_edit", org, pk=feed.pk), form(erp, url="", password="", schedule=""))
    assert not PeriodicTask.objects.filter(name=f"feed:{org.pk}:{feed.pk}").exists()
    client.post(url("feed_edit", org, pk=feed.pk), form(erp, url="", password=""))
    assert PeriodicTask.objects.filter(name=f"feed:{org.pk}:{feed.pk}").exists()
    client.post(url("feed_delete", org, pk=feed.pk))
    assert not DataFeed.objects.for_org(org).exists()
    assert not PeriodicTask.objects.filter(name__startswith=f"feed:{org.pk}:").exists()


def test_credentials_never_appear_in_the_pages(org, admin, login, erp, loopback):
    client = login(admin)
    secret_url = erp.url(with_password=True)
    client.post(url("feed_create", org), form(erp, url=secret_url))
    feed = DataFeed.objects.for_org(org).get()
    for page in (
        url("feed_list", org),
        url("feed_detail", org, pk=feed.pk),
        url("feed_edit", org, pk=feed.pk),
    ):
        html = client.get(page).content.decode()
        assert READER_PASSWORD not in html
        assert erp.reader not in html  # the user name is part of the hidden address
    html = client.get(url("feed_edit", org, pk=feed.pk)).content.decode()
    assert "set" in html  # "Password: set"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"url": "postgresql://reader@10.9.8.7:5432/erp"},
            "url",
            "not on this organization's list",
        ),
        ({"url": "https://example.com/x.csv"}, "url", "must start with postgresql://"),
        ({"url": ""}, "url", "Enter the source's address."),
        ({"query": "DELETE FROM erp_rows"}, "query", "Only a SELECT query is allowed"),
        ({"query": "SELECT 1; DROP TABLE erp_rows"}, "query", "Only one statement"),
        ({"schedule": "every day"}, "schedule", "Write five fields"),
        ({"schedule": "99 * * * *"}, "schedule", "cannot be read"),
        ({"alert_after": "0"}, "alert_after", "greater than or equal to 1"),
        ({"value_column": ""}, "value_column", "required"),
    ],
)
def test_bad_input_is_refused_on_its_field(
    org, admin, login, erp, loopback, change, field, message
):
    response = login(admin).post(url("feed_create", org), form(erp, **change))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not DataFeed.objects.for_org(org).exists()


def test_run_now_and_dry_run_queue_a_run_after_commit(
    org, admin, login, erp, loopback, sales_kpis, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(runs, "run_enqueue", lambda org_id, run_id: published.append(run_id))
    feed = sql_feed(org, erp)
    client = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("feed_run", org, pk=feed.pk))
    run = FeedRun.objects.for_org(org).get()
    assert response.status_code == 302 and response["Location"].endswith(f"?run={run.pk}")
    assert published == [run.pk] and not run.dry_run and run.trigger == "manual"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("feed_dry_run", org, pk=feed.pk))
    assert FeedRun.objects.for_org(org).filter(dry_run=True).count() == 1
    # The page polls the unfinished run, then shows its counts.
    html = client.get(url("feed_detail", org, pk=feed.pk) + f"?run={run.pk}").content.decode()
    assert 'hx-trigger="every 2s"' in html
    runs.run_attempt(org=org, run_id=run.pk)
    fragment = client.get(
        url("feed_detail", org, pk=feed.pk) + f"?run={run.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Read 3 rows: 3 new, 0 changed, 0 unchanged, 0 left alone." in fragment
    assert "every 2s" not in fragment and "<html" not in fragment


def test_a_refused_run_lists_its_rows(org, admin, login, erp, loopback, sales_kpis):
    erp.set_rows([("sales", "nope", "2026-03", 1)])
    feed = sql_feed(org, erp)
    run = runs.run_request(org=org, feed=feed, by=None, trigger="manual")
    runs.run_attempt(org=org, run_id=run.pk)
    html = login(admin).get(url("feed_detail", org, pk=feed.pk)).content.decode()
    assert "Unknown indicator code “nope”." in html and 'id="run-problems"' in html


def test_allow_list_page(org, admin, login):
    client = login(admin)
    response = client.post(
        url("allowed_host_list", org), {"address": "10.0.0.0/24", "port": "5432"}
    )
    assert response.status_code == 302
    host = AllowedHost.objects.for_org(org).get()
    assert (host.address, host.port) == ("10.0.0.0/24", 5432)
    for bad, message in (("0.0.0.0/0", "too broad"), ("not a host!", "neither a host name")):
        response = client.post(url("allowed_host_list", org), {"address": bad})
        assert message in " ".join(response.context["form"].errors["address"])
    response = client.post(
        url("allowed_host_list", org), {"address": "10.0.0.0/24", "port": "5432"}
    )
    assert "already allowed" in " ".join(response.context["form"].errors["address"])
    client.post(url("allowed_host_delete", org, pk=host.pk))
    assert not AllowedHost.objects.for_org(org).exists()


def test_pages_are_for_admins_only(org, hr, executive, login, erp, loopback):
    feed = sql_feed(org, erp)
    for user in (hr, executive):
        client = login(user)
        for name, kwargs in (
            ("feed_list", {}),
            ("feed_create", {}),
            ("allowed_host_list", {}),
            ("feed_detail", {"pk": feed.pk}),
            ("feed_edit", {"pk": feed.pk}),
        ):
            assert client.get(url(name, org, **kwargs)).status_code == 403
        assert client.post(url("feed_run", org, pk=feed.pk)).status_code == 403
    assert not FeedRun.objects.for_org(org).exists()


def test_another_organizations_feed_is_not_found(org, outsider, other_org, login, erp, loopback):
    feed = sql_feed(org, erp)
    client = login(outsider)
    assert client.get(url("feed_detail", org, pk=feed.pk)).status_code == 404
    # Under the outsider's own organization the id does not exist either.
    assert client.get(url("feed_detail", other_org, pk=feed.pk)).status_code == 404
    assert client.post(url("feed_run", other_org, pk=feed.pk)).status_code == 404
    assert not FeedRun.objects.for_org(org).exists()


def test_list_page_query_count_is_fixed(
    org, admin, login, erp, loopback, django_assert_max_num_queries
):
    client = login(admin)
    for n in range(2):
        sql_feed(org, erp, name=f"f{n}")
    with django_assert_max_num_queries(12) as small:
        client.get(url("feed_list", org))
    for n in range(2, 8):
        feed = sql_feed(org, erp, name=f"f{n}")
        runs.run_request(org=org, feed=feed, by=None, trigger="manual")
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url("feed_list", org)).content.decode()
    assert html.count("queued ·") == 6  # each feed's latest run
