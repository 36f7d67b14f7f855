"""The feed jobs under their organization: beat's scheduled job finds the feed only in its
own organization; the run job records its result; the sweeper reaches every organization
with an unfinished run."""

import pytest
from django.utils import timezone

from feeds import tasks
from feeds.models import FeedRun
from metrics.models import Actual

from .conftest import sql_feed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings", "loopback")]


def test_the_scheduled_job_runs_under_the_feeds_organization(org, other_org, erp, sales_kpis):
    feed = sql_feed(org, erp)
    # Another organization's id with this feed's id: nothing there.
    assert (
        tasks.run_scheduled.apply(
            kwargs={"organization_id": other_org.pk, "feed_id": feed.pk}
        ).get()
        is None
    )
    assert not FeedRun.objects.for_org(org).exists()
    run_id = tasks.run_scheduled.apply(kwargs={"organization_id": org.pk, "feed_id": feed.pk}).get()
    run = FeedRun.objects.for_org(org).get(pk=run_id)
    assert run.trigger == "schedule" and run.state == "queued"
    # The run job, as a worker calls it (no broker here: one try, no retry).
    assert (
        tasks.run_feed.apply(kwargs={"organization_id": org.pk, "run_id": run_id}).get() == "done"
    )
    assert Actual.objects.for_org(org).filter(source="feed").count() == 3
    # The same run's job again (a redelivery of a finished run) changes nothing.
    assert (
        tasks.run_feed.apply(kwargs={"organization_id": org.pk, "run_id": run_id}).get() == "done"
    )
    assert (
        tasks.run_feed.apply(kwargs={"organization_id": other_org.pk, "run_id": run_id}).get()
        == "missing"
    )


def test_a_disabled_feed_is_not_run_by_its_schedule(org, erp):
    feed = sql_feed(org, erp, is_enabled=False)
    assert (
        tasks.run_scheduled.apply(kwargs={"organization_id": org.pk, "feed_id": feed.pk}).get()
        is None
    )
    assert not FeedRun.objects.for_org(org).exists()


def test_the_sweeper_reaches_every_organization(org, other_org, erp, monkeypatch):
    from feeds.services import runs

    published = []
    monkeypatch.setattr(
        runs, "run_enqueue", lambda org_id, run_id: published.append((org_id, run_id))
    )
    feed = sql_feed(org, erp)
    stale = timezone.now() - timezone.timedelta(hours=2)
    died = FeedRun.objects.create(
        organization=org, feed=feed, trigger="manual", state="running", started_at=stale
    )
    lost = FeedRun.objects.create(organization=org, feed=feed, trigger="manual", dry_run=True)
    FeedRun.objects.for_org(org).filter(pk=lost.pk).update(created_at=stale)
    assert tasks.sweep_runs() == {"failed": 1, "republished": 1}
    assert FeedRun.objects.for_org(org).get(pk=died.pk).state == "failed"
    assert published == [(org.pk, lost.pk)]
