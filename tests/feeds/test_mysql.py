"""A feed reading MySQL: the local MariaDB server (127.0.0.1:3306, database `test`), when it
answers; skipped otherwise, except where PERFHUB_REQUIRE_MYSQL is set (.ci/run sets it on a
machine with MariaDB): there a missing server fails the test."""

import os

import pytest

from feeds.models import FeedRun
from feeds.services.feeds import FeedInput, feed_save
from feeds.services.runs import run_attempt, run_request
from metrics.models import Actual

pymysql = pytest.importorskip("pymysql")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings", "loopback")]

HOST, PORT, DATABASE = "127.0.0.1", 3306, "test"
TABLE = "perfhub_feed_" + os.environ.get("PERFHUB_TEST_REDIS_PORT", "x")


@pytest.fixture
def mysql():
    try:
        conn = pymysql.connect(host=HOST, port=PORT, user="root", password="", database=DATABASE)
    except pymysql.MySQLError as exc:
        if os.environ.get("PERFHUB_REQUIRE_MYSQL"):
            pytest.fail(f"no MySQL server at {HOST}:{PORT}: {exc}")
        pytest.skip(f"no MySQL server at {HOST}:{PORT}: {exc}")
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {TABLE}_seq")
        cursor.execute(
            f"CREATE TABLE {TABLE} (dept text, indicator text, period date, amount decimal(12,2))"
        )
        cursor.execute(f"CREATE SEQUENCE {TABLE}_seq")
        cursor.execute(
            f"INSERT INTO {TABLE} VALUES ('sales', 'new_customers', '2026-03-31', 42),"
            "('sales', 'customer_satisfaction', '2026-03-01', 88.5)"
        )
    conn.commit()
    yield conn
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {TABLE}_seq")
    conn.close()


def _feed(org, query, name="MySQL"):
    return feed_save(
        org=org,
        by=None,
        data=FeedInput(
            name=name,
            kind="mysql",
            url=f"mysql://root@{HOST}:{PORT}/{DATABASE}",
            query=query,
            department_column="dept",
            kpi_column="indicator",
            period_column="period",
            value_column="amount",
        ),
    )


def _run(org, feed) -> FeedRun:
    run = run_request(org=org, feed=feed, by=None, trigger="manual")
    while run_attempt(org=org, run_id=run.pk).retry_in is not None:
        pass
    run.refresh_from_db()
    return run


def test_mysql_feed_imports_dates_and_decimals(org, mysql, sales_kpis):
    run = _run(org, _feed(org, f"SELECT * FROM {TABLE}"))
    assert run.state == "done", run.message
    assert run.created == 2
    assert Actual.objects.for_org(org).filter(source="feed").count() == 2


def test_mysql_query_that_writes_is_stopped_by_the_read_only_transaction(org, mysql, sales_kpis):
    run = _run(
        org,
        _feed(org, f"SELECT NEXTVAL({TABLE}_seq) AS dept, indicator, period, amount FROM {TABLE}"),
    )
    assert run.state == "failed"
    assert "change data" in run.message or "query failed" in run.message, run.message
    assert not Actual.objects.for_org(org).exists()


def test_mysql_slow_query_fails(org, mysql, sales_kpis, settings):
    settings.PERFHUB_FEED_TIMEOUT_SECONDS = 1.0
    settings.PERFHUB_FEED_MAX_ATTEMPTS = 1
    run = _run(org, _feed(org, f"SELECT t.*, SLEEP(3) AS z FROM {TABLE} t"))
    assert run.state == "failed", run.message
    assert not Actual.objects.for_org(org).exists()
