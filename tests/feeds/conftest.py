import pytest

from feeds.services.feeds import FeedInput, allowed_host_add, feed_save

from . import sources


@pytest.fixture(scope="session")
def source_db():
    """A second local PostgreSQL database, the ERP (dropped at the end of the session)."""
    db = sources.create_source_database()
    yield db
    sources.drop_source_database(db)


@pytest.fixture
def erp(source_db):
    source_db.set_rows(sources.ERP_ROWS)
    return source_db


@pytest.fixture
def files(settings):
    """The local HTTP server of the file sources."""
    state, server = sources.start_file_server()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed_settings(settings):
    settings.PERFHUB_FEED_TIMEOUT_SECONDS = 2.0
    settings.PERFHUB_FEED_RETRY_BASE_SECONDS = 0.01
    settings.PERFHUB_FEED_MAX_ATTEMPTS = 3
    return settings


@pytest.fixture
def loopback(org):
    """The tests' sources are on this machine: 127.0.0.1 is allow-listed explicitly."""
    return allowed_host_add(org=org, address="127.0.0.1", port=None, note="tests", by=None)


@pytest.fixture
def sales_kpis_ready(sales_kpis):
    return sales_kpis


def feed_fields(db, **extra) -> dict:
    """A PostgreSQL feed's fields as the page's form and the API take them."""
    fields = {
        "name": "ERP",
        "kind": "postgres",
        "url": db.url(),
        "password": sources.READER_PASSWORD,
        "query": "SELECT dept, indicator, period, amount FROM erp_rows",
        "department_column": "dept",
        "kpi_column": "indicator",
        "period_column": "period",
        "value_column": "amount",
        "schedule": "0 6 * * *",
    }
    fields.update(extra)
    return fields


def sql_feed(
    org, db, *, name="ERP", query="SELECT dept, indicator, period, amount FROM erp_rows", **extra
):
    data = FeedInput(
        name=name,
        kind="postgres",
        url=db.url(),
        password=sources.READER_PASSWORD,
        query=query,
        department_column="dept",
        kpi_column="indicator",
        period_column="period",
        value_column="amount",
        **extra,
    )
    return feed_save(org=org, data=data, by=None)


def file_feed(org, url, *, name="CRM file", file_format="", **extra):
    data = FeedInput(
        name=name,
        kind="file",
        url=url,
        file_format=file_format,
        department_column="dept",
        kpi_column="indicator",
        period_column="period",
        value_column="amount",
        **extra,
    )
    return feed_save(org=org, data=data, by=None)
