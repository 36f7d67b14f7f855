"""Runs of a feed against real local sources (tests/feeds/sources.py): a second
PostgreSQL database and a loopback HTTP server. Each run goes through the actuals service
with source `feed`, all or nothing."""

import socket
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from feeds.models import FeedRun
from feeds.services import runs
from feeds.services.feeds import allowed_host_delete
from feeds.services.runs import run_attempt, run_request
from metrics.models import Actual, ActualChange
from metrics.services.actuals import ActualInput, actuals_save
from tests.factories import enter_actuals

from .conftest import file_feed, sql_feed
from .sources import Answer, csv_bytes, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings", "loopback")]


def run_feed(org, feed, *, dry_run=False) -> FeedRun:
    """Queue a run and do it here, retries included (the job's loop without the waits)."""
    run = run_request(org=org, feed=feed, by=None, dry_run=dry_run, trigger="manual")
    while run_attempt(org=org, run_id=run.pk).retry_in is not None:
        pass
    run.refresh_from_db()
    return run


def values(org):
    return {
        (a.kpi.indicator.code, a.period.label): (a.value, a.source)
        for a in Actual.objects.for_org(org).select_related("kpi__indicator", "period")
    }


def test_sql_feed_creates_values_with_source_feed(org, erp, sales_kpis):
    run = run_feed(org, sql_feed(org, erp))
    assert run.state == "done", run.message
    assert (run.read, run.created, run.changed, run.refused) == (3, 3, 0, 0)
    assert values(org) == {
        ("new_customers", "2026-03"): (Decimal("42"), "feed"),
        ("customer_satisfaction", "2026-03"): (Decimal("91.5"), "feed"),
        ("new_customers", "2026-02"): (Decimal("40"), "feed"),
    }
    assert {c["kpi"] for c in run.changes} == {"new_customers", "customer_satisfaction"}
    history = ActualChange.objects.filter(organization_id=org.pk)
    assert set(history.values_list("source", flat=True)) == {"feed"}


def test_second_run_changes_nothing(org, erp, sales_kpis):
    feed = sql_feed(org, erp)
    run_feed(org, feed)
    second = run_feed(org, feed)
    assert second.state == "done"
    assert (second.created, second.changed, second.unchanged) == (0, 0, 3)
    assert second.changes == []
    feed.refresh_from_db()
    assert feed.last_success_at is not None and feed.consecutive_failures == 0


def test_a_changed_source_value_is_changed(org, erp, sales_kpis):
    feed = sql_feed(org, erp)
    run_feed(org, feed)
    erp.execute(
        "UPDATE erp_rows SET amount = 45 WHERE period = '2026-03' AND indicator = 'new_customers'"
    )
    run = run_feed(org, feed)
    assert (run.created, run.changed, run.unchanged) == (0, 1, 2)
    assert (
        run.changes
        == [
            {
                "row": 1,
                "department": "sales",
                "kpi": "new_customers",
                "period": "2026-03",
                "old": "42",
                "new": "45",
            }
        ]
        or run.changes[0]["new"] == "45"
    )
    assert values(org)[("new_customers", "2026-03")] == (Decimal("45"), "feed")


def test_a_bad_row_refuses_the_whole_run(org, erp, sales_kpis):
    erp.set_rows(
        [
            ("sales", "new_customers", "2026-03", 42),
            ("sales", "customer_satisfaction", "2026-03", 0),
            ("nowhere", "new_customers", "2026-03", 1),
            ("sales", "new_customers", "someday", 1),
        ]
    )
    query = (
        "SELECT dept, indicator, period, CASE WHEN indicator = 'customer_satisfaction' "
        "THEN 'lots' ELSE amount::text END AS amount FROM erp_rows"
    )
    run = run_feed(org, sql_feed(org, erp, query=query))
    assert run.state == "failed"
    assert not Actual.objects.for_org(org).exists()
    by_row = {(p["row"], p["column"]) for p in run.problems}
    assert by_row == {(2, "amount"), (3, "dept"), (4, "period")}
    assert "Unknown department code “nowhere”." in {p["message"] for p in run.problems}
    assert run.refused == 3 and run.read == 4
    assert "3 rows have problems" in run.message


def test_a_missing_column_is_named(org, erp, sales_kpis):
    run = run_feed(org, sql_feed(org, erp, query="SELECT dept, indicator, amount FROM erp_rows"))
    assert run.state == "failed"
    assert run.problems[0]["row"] == 0 and run.problems[0]["column"] == "period"
    assert "its columns: dept, indicator, amount" in run.problems[0]["message"]


def test_dry_run_saves_nothing_and_lists_what_would_change(org, erp, sales_kpis):
    run = run_feed(org, sql_feed(org, erp), dry_run=True)
    assert run.state == "done" and run.dry_run
    assert run.created == 3 and len(run.changes) == 3
    assert all(c["old"] is None for c in run.changes)
    assert not Actual.objects.for_org(org).exists()
    assert not ActualChange.objects.filter(organization_id=org.pk).exists()
    assert run.message == "Dry run: nothing was saved."


def test_a_value_a_person_typed_later_is_kept_unless_the_feed_wins(org, erp, sales_kpis, hr, month):
    feed = sql_feed(org, erp)
    run_feed(org, feed)
    actual = Actual.objects.for_org(org).get(kpi=sales_kpis["new_customers"], period=month)
    actuals_save(  # typed on the entry page after the feed's run
        org=org,
        by=hr,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(actual.kpi_id, month.pk, "50", note="n", version=actual.version)],
    )
    run = run_feed(org, feed)
    assert run.state == "done"
    assert values(org)[("new_customers", "2026-03")] == (Decimal("50"), "web")
    assert run.skipped == 1 and "a person entered" in run.skipped_rows[0]["message"]
    feed.wins_over_people = True
    feed.save()
    won = run_feed(org, feed)
    assert won.changed == 1
    assert values(org)[("new_customers", "2026-03")] == (Decimal("42"), "feed")


def test_a_value_typed_before_the_feed_existed_is_replaced(org, erp, sales_kpis, hr, month):
    enter_actuals(org, (sales_kpis["new_customers"], month, "50"), by=hr)
    feed = sql_feed(org, erp)
    run = run_feed(org, feed)
    assert run.changed == 1 and run.skipped == 0
    assert values(org)[("new_customers", "2026-03")] == (Decimal("42"), "feed")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_source_that_is_down_is_retried_then_fails_and_alerts(
    org, erp, sales_kpis, admin, settings
):
    admin.email = "alice@example.com"
    admin.save()
    feed = sql_feed(org, erp, alert_after=2)
    feed.url = f"postgresql://{erp.reader}@127.0.0.1:{_closed_port()}/{erp.name}"
    feed.save()
    run = run_request(org=org, feed=feed, by=None, trigger="manual")
    first = run_attempt(org=org, run_id=run.pk)
    assert first.state == "retrying" and first.retry_in == pytest.approx(0.01)
    second = run_attempt(org=org, run_id=run.pk)
    assert second.retry_in == pytest.approx(0.02)  # doubled
    assert run_attempt(org=org, run_id=run.pk).state == "failed"
    run.refresh_from_db()
    assert run.attempts == 3 and "cannot be reached" in run.message and "3 tries" in run.message
    assert not Actual.objects.for_org(org).exists()
    assert mail.outbox == []  # one failure: no alert yet
    assert run_feed(org, feed).state == "failed"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert "ERP" in mail.outbox[0].subject
    run_feed(org, feed)
    assert len(mail.outbox) == 1  # once per streak
    feed.refresh_from_db()
    assert feed.consecutive_failures == 3 and feed.alerted_at is not None
    feed.url = erp.url()
    feed.save()
    assert run_feed(org, feed).state == "done"
    feed.refresh_from_db()
    assert feed.consecutive_failures == 0 and feed.alerted_at is None


def test_a_failing_feed_alerts_the_chat_channels_routed_for_it_once_per_streak(
    org, erp, sales_kpis, admin, settings
):
    """The alert reaches the chat tools too (a DingTalk robot routed for feed_failing),
    once per streak of failures; an admin who turned the kind off gets no e-mail, another
    admin does, in their own language."""
    from departments.models import Membership, NotificationKind, Profile, Role
    from messaging import services as channels
    from messaging.models import Delivery
    from tests.factories import UserFactory

    admin.email = "alice@example.com"
    admin.save()
    Profile.objects.create(user=admin, muted=[NotificationKind.FEED_FAILING])
    second = UserFactory(username="zhang-admin", email="zhang@example.com")
    Membership.objects.create(organization=org, user=second, role=Role.ADMIN)
    Profile.objects.create(user=second, language="zh-hans")
    settings.PERFHUB_CHANNEL_EXTRA_HOSTS = ["127.0.0.1"]
    robot = channels.channel_save(
        org=org,
        by=None,
        data=channels.ChannelInput(
            kind="dingtalk", name="IT", webhook_url="http://127.0.0.1:9/robot/send?access_token=t"
        ),
    )
    channels.routes_save(org=org, pairs=[(NotificationKind.FEED_FAILING, robot.pk)], by=None)
    feed = sql_feed(org, erp, alert_after=1)
    feed.name = "ERP [orders](https://evil.example)"
    feed.url = f"postgresql://{erp.reader}@127.0.0.1:{_closed_port()}/{erp.name}"
    feed.save()
    settings.PERFHUB_FEED_MAX_ATTEMPTS = 1
    assert run_feed(org, feed).state == "failed"
    run_feed(org, feed)  # the same streak: nothing more
    (delivery,) = Delivery.objects.for_org(org)
    assert delivery.channel == robot and delivery.kind == NotificationKind.FEED_FAILING
    # The feed's name is inert markdown; the message links to the feed's page.
    assert "［orders］(https://evil.example)" in delivery.title
    assert "cannot be reached" in delivery.text or "无法连接" in delivery.text
    assert delivery.url.endswith(f"/feeds/{feed.pk}/")
    assert [m.to for m in mail.outbox] == [["zhang@example.com"]]
    assert mail.outbox[0].subject.startswith("数据接入")  # Zhang reads Chinese
    # Once the feed works again, a new streak alerts again.
    feed.url = erp.url()
    feed.save()
    assert run_feed(org, feed).state == "done"
    feed.url = f"postgresql://{erp.reader}@127.0.0.1:{_closed_port()}/{erp.name}"
    feed.save()
    run_feed(org, feed)
    assert Delivery.objects.for_org(org).count() == 2 and len(mail.outbox) == 2


def test_a_slow_sql_source_times_out(org, erp, sales_kpis, settings):
    settings.PERFHUB_FEED_TIMEOUT_SECONDS = 1.0
    settings.PERFHUB_FEED_MAX_ATTEMPTS = 1
    run = run_feed(org, sql_feed(org, erp, query="SELECT *, pg_sleep(3) FROM erp_rows"))
    assert run.state == "failed" and "longer than 1.0 seconds" in run.message
    assert not Actual.objects.for_org(org).exists()


def test_a_slow_file_source_times_out(org, files, sales_kpis, settings):
    settings.PERFHUB_FEED_TIMEOUT_SECONDS = 0.5
    settings.PERFHUB_FEED_MAX_ATTEMPTS = 2
    url = files.serve(
        "/slow.csv", Answer(body=csv_bytes([("sales", "new_customers", "2026-03", 1)]), delay=2)
    )
    run = run_feed(org, file_feed(org, url))
    assert run.state == "failed" and "did not answer within 0.5 seconds" in run.message
    assert run.attempts == 2
    assert not Actual.objects.for_org(org).exists()


def test_a_503_is_retried_and_the_next_answer_imported(org, files, sales_kpis):
    body = csv_bytes([("sales", "new_customers", "2026-03", 7)])
    url = files.serve("/crm.csv", Answer(503, b"busy"), Answer(body=body))
    run = run_feed(org, file_feed(org, url))
    assert run.state == "done" and run.attempts == 2 and run.created == 1


def test_xlsx_file_feed(org, files, sales_kpis):
    rows = [
        ("sales", "new_customers", "2026-03", 12),
        ("sales", "customer_satisfaction", "fy2026-q1", 88),
    ]
    url = files.serve("/export.xlsx", Answer(body=xlsx_bytes(rows)))
    run = run_feed(org, file_feed(org, url))
    # customer_satisfaction is entered per month: the quarter is refused, with its row.
    assert run.state == "failed"
    assert run.problems == [
        {"row": 3, "column": "period", "message": "This KPI is entered per month, not per quarter."}
    ]
    files.serve("/export.xlsx", Answer(body=xlsx_bytes(rows[:1])))
    assert run_feed(org, file_feed(org, url, name="again")).created == 1


def test_a_redirect_to_another_host_is_refused(org, files, sales_kpis):
    url = files.serve(
        "/moved.csv", Answer(302, headers={"Location": "http://169.254.169.254/latest/"})
    )
    run = run_feed(org, file_feed(org, url))
    assert run.state == "failed" and "redirects to another address" in run.message
    assert run.attempts == 1


def test_a_redirect_on_the_same_host_is_followed(org, files, sales_kpis):
    files.serve("/new.csv", Answer(body=csv_bytes([("sales", "new_customers", "2026-03", 3)])))
    url = files.serve("/old.csv", Answer(301, headers={"Location": "/new.csv"}))
    assert run_feed(org, file_feed(org, url)).created == 1


def test_an_address_removed_from_the_allow_list_fails_the_next_run(org, erp, sales_kpis, loopback):
    feed = sql_feed(org, erp)
    allowed_host_delete(org=org, host=loopback, by=None)
    run = run_feed(org, feed)
    assert run.state == "failed" and run.attempts == 1
    assert "not on this organization's list of allowed addresses" in run.message
    assert not Actual.objects.for_org(org).exists()


def test_a_query_that_writes_is_stopped_by_the_read_only_transaction(org, erp, sales_kpis):
    feed = sql_feed(
        org, erp, query="SELECT nextval('erp_seq') AS dept, indicator, period, amount FROM erp_rows"
    )
    run = run_feed(org, feed)
    assert run.state == "failed" and "tries to change data" in run.message


def test_an_interrupted_run_is_failed_by_its_redelivery(org, erp, sales_kpis):
    feed = sql_feed(org, erp)
    run = run_request(org=org, feed=feed, by=None, trigger="manual")
    FeedRun.objects.for_org(org).filter(pk=run.pk).update(
        state="running", started_at=timezone.now()
    )
    assert run_attempt(org=org, run_id=run.pk).state == "failed"
    run.refresh_from_db()
    assert run.message == runs.interrupted_message()
    assert not Actual.objects.for_org(org).exists()


def test_run_now_twice_gives_one_run(org, erp, sales_kpis):
    feed = sql_feed(org, erp)
    first = run_request(org=org, feed=feed, by=None, trigger="manual")
    assert run_request(org=org, feed=feed, by=None, trigger="manual").pk == first.pk
    assert run_request(org=org, feed=feed, by=None, dry_run=True, trigger="manual").pk != first.pk


def test_the_sweeper_fails_a_run_whose_worker_died(org, erp, sales_kpis, settings):
    feed = sql_feed(org, erp)
    run = run_request(org=org, feed=feed, by=None, trigger="manual")
    long_ago = timezone.now() - timezone.timedelta(hours=2)
    FeedRun.objects.for_org(org).filter(pk=run.pk).update(state="running", started_at=long_ago)
    assert runs.runs_sweep(org=org) == {"failed": 1, "republished": 0}


def test_credentials_are_stored_encrypted(org, erp):
    feed = sql_feed(org, erp)
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, password FROM feeds_datafeed WHERE id = %s", [feed.pk])
        url, password = cursor.fetchone()
    assert erp.reader not in url and "reader-pw" not in password
    assert url.startswith("gAAAA") and password.startswith("gAAAA")  # Fernet tokens
    assert feed.url_hint == f"postgresql://127.0.0.1:{erp.port}/{erp.name}"
