"""Coalescing (README "Recalculation"): a run drains what is marked when it starts and
claims it at its version, so what is marked during the run survives it; a run finding
nothing returns at once; at most one run per organization waits in the queue; a single
save's run costs a bounded number of queries, whatever the size of the organization."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import selectors
from metrics.models import PendingRecalculation, Period
from metrics.services import recalc
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.recalc import recalculation_mark, recalculation_started
from metrics.services.templates import template_apply
from scorecards import rollup, tasks
from scorecards.models import Scorecard, ScorecardLine
from scorecards.signals import recalculated
from tests.factories import make_department

pytestmark = pytest.mark.django_db


def _save(org, kpi, month, value="90"):
    actuals_save(
        org=org,
        by=None,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, month.pk, value, note="n")],
        require_note_for_red=False,
    )


def _run(org):
    return tasks.recalculate.apply(kwargs={"organization_id": org.pk}).get()


def test_a_run_finding_nothing_returns_at_once(org, django_assert_num_queries):
    # 2 of them take and free the organization's recalculation lock (one run at a time)
    with django_assert_num_queries(9):
        assert _run(org) == {"periods": 0}


def test_a_run_drains_every_mark_and_tells_the_affected_periods(
    org, sales, sales_kpis, periods, month
):
    heard = []

    def listener(sender, org, period_ids, **kwargs):
        heard.append(sorted(period_ids))

    PendingRecalculation.objects.for_org(org).delete()  # the KPIs' own marks
    recalculated.connect(listener)
    try:
        other = next(p for p in periods if p.kind == "month" and p.number == 7)
        _save(org, sales_kpis["sales_revenue"], month)
        _save(org, sales_kpis["sales_revenue"], other)  # two saves, one run
        marked = sorted(
            set(PendingRecalculation.objects.for_org(org).values_list("period_id", flat=True))
        )
        result = _run(org)
    finally:
        recalculated.disconnect(listener)
    assert result["periods"] == len(marked) == 5  # two months, two quarters, one year
    assert heard == [marked]
    assert not PendingRecalculation.objects.for_org(org).exists()
    assert ScorecardLine.objects.for_org(org).filter(period=other).exists()


def test_marks_written_during_a_run_survive_it(org, sales, sales_kpis, month, monkeypatch):
    """A mark raised to a new version, or a new one, while the run computes: the run deletes
    only what it claimed, at the version it claimed."""
    ops = make_department(org, code="ops")
    PendingRecalculation.objects.for_org(org).delete()
    _save(org, sales_kpis["sales_revenue"], month)
    real = rollup.recalculate_marks

    def meanwhile(**kwargs):
        recalculation_mark(org=org, periods=[month], departments=[sales])  # again
        recalculation_mark(org=org, periods=[month], departments=[ops])  # new
        return real(**kwargs)

    monkeypatch.setattr(rollup, "recalculate_marks", meanwhile)
    _run(org)
    left = set(PendingRecalculation.objects.for_org(org).values_list("period_id", "department_id"))
    around = recalculation_mark(org=org, periods=[month], departments=[])  # marks nothing
    assert around == []
    around = {
        p.pk for p in Period.objects.for_org(org) if p.start <= month.start and p.end >= month.end
    }
    assert len(around) == 3  # the month, its quarter, its year
    assert left == {(pid, d) for pid in around for d in (sales.pk, ops.pk)}
    monkeypatch.setattr(rollup, "recalculate_marks", real)
    _run(org)
    assert not PendingRecalculation.objects.for_org(org).exists()


class FakeRedis:
    """SET NX PX and DELETE, as redis-py answers them."""

    def __init__(self, down=False):
        self.keys: dict[str, bytes] = {}
        self.down = down

    def set(self, key, value, nx=False, px=None):
        if self.down:
            raise ConnectionError("redis down")
        assert nx and px
        if key in self.keys:
            return None
        self.keys[key] = value
        return True

    def delete(self, key):
        if self.down:
            raise ConnectionError("redis down")
        self.keys.pop(key, None)


@pytest.fixture
def broker(settings, monkeypatch):
    """A broker-backed setup without a broker: what is published, and a fake Redis."""
    from perfhub.celery import app

    sent = []
    fake = FakeRedis()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    monkeypatch.setattr(app, "send_task", lambda name, **k: sent.append(k["kwargs"]))
    monkeypatch.setattr(recalc, "_redis", lambda: fake)
    yield sent, fake
    app.conf.task_always_eager = saved


def test_at_most_one_run_per_organization_waits_in_the_queue(org, other_org, broker):
    sent, fake = broker
    for _ in range(5):
        assert recalc.recalculation_enqueue(org.pk)  # the later ones join the first
    assert recalc.recalculation_enqueue(other_org.pk)
    assert sent == [
        {"organization_id": org.pk, "run_id": None},
        {"organization_id": other_org.pk, "run_id": None},
    ]
    # The run starts (and will read the marks): a request from now on queues one more.
    recalculation_started(org.pk)
    assert recalc.recalculation_enqueue(org.pk) and recalc.recalculation_enqueue(org.pk)
    assert len(sent) == 3
    # HR's full recalculation carries its run record: always published.
    assert recalc.recalculation_enqueue(org.pk, run_id=9)
    assert sent[-1] == {"organization_id": org.pk, "run_id": 9}


def test_a_publish_that_fails_frees_the_queued_key(org, broker, monkeypatch):
    from perfhub.celery import app

    sent, fake = broker

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app, "send_task", down)
    assert recalc.recalculation_enqueue(org.pk) is False
    assert fake.keys == {}  # the next request (or the sweeper) publishes again


def test_redis_down_never_raises(org, broker, caplog):
    sent, fake = broker
    fake.down = True
    assert recalc.recalculation_enqueue(org.pk) is False
    recalculation_started(org.pk)  # logged, never raised
    assert sent == [] and "could not enqueue recalculation" in caplog.text


def _organization(org, departments: int):
    """`departments` business departments under one root, each with the sales KPIs."""
    root = make_department(org, code="root", kind="management", function="hr")
    made = [make_department(org, code=f"d{n}", parent=root) for n in range(departments)]
    template = selectors.template_list(org=org).get(code="sales_standard")
    template_apply(template=template, departments=made, by=None)
    return made


@pytest.mark.parametrize("departments", [3, 12])
def test_a_single_saves_run_costs_the_same_queries_at_any_size(
    org, library, periods, month, departments, django_assert_num_queries
):
    made = _organization(org, departments)
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    PendingRecalculation.objects.for_org(org).delete()
    kpi = selectors.kpi_list(org=org, department=made[-1]).first()
    _save(org, kpi, month, "1234")
    # 2 of them take and free the organization's recalculation lock; 6 are the red-KPI
    # alert's two chat announcements (a savepoint, its release and the routes each)
    with django_assert_num_queries(47):
        _run(org)
    line = ScorecardLine.objects.for_org(org).get(kpi=kpi, period=month)
    assert line.actual == Decimal("1234")


def test_the_incremental_statements_read_only_the_marked_department(org, library, periods, month):
    """The narrowing is in the SQL itself: each statement of a single save's run names the
    department (a whole-organization statement would name none)."""
    made = _organization(org, 4)
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    PendingRecalculation.objects.for_org(org).delete()
    kpi = selectors.kpi_list(org=org, department=made[1]).first()
    _save(org, kpi, month)
    with CaptureQueriesContext(connection) as queries:
        _run(org)
    line, card = ScorecardLine._meta.db_table, Scorecard._meta.db_table
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"]
        .lstrip()
        .startswith(
            (
                f"INSERT INTO {line} ",
                f"DELETE FROM {line} ",
                f"INSERT INTO {card} ",
                f"DELETE FROM {card} ",
            )
        )
    ]
    assert len(writes) >= 4
    assert all(f"IN ({made[1].pk})" in sql for sql in writes)


def test_a_drain_of_saves_in_several_months_recomputes_only_the_saved_pairs(org, library, periods):
    """Saves of department A in January and of B in July: one run, one roll-up
    transaction, and A's July and B's January are not recomputed (the statements are
    narrowed to the marked (period, department) pairs, not to every marked department in
    every marked period)."""
    from django.utils import timezone

    a, b = _organization(org, 2)
    rollup.recalculate(org=org, period_ids=[p.pk for p in periods])
    PendingRecalculation.objects.for_org(org).delete()
    january = next(p for p in periods if p.kind == "month" and p.number == 1)
    july = next(p for p in periods if p.kind == "month" and p.number == 7)
    before = timezone.now()
    _save(org, selectors.kpi_list(org=org, department=a).first(), january, "77")
    _save(org, selectors.kpi_list(org=org, department=b).first(), july, "88")
    with CaptureQueriesContext(connection) as queries:
        _run(org)
    assert not PendingRecalculation.objects.for_org(org).exists()
    card = Scorecard._meta.db_table
    inserts = [q for q in queries.captured_queries if f"INSERT INTO {card} " in q["sql"]]
    assert len(inserts) == 1
    touched = set(
        Scorecard.objects.for_org(org)
        .filter(computed_at__gte=before)
        .exclude(department__code="root")  # the ancestor's rolled-up score, as before
        .values_list("department_id", "period_id")
    )

    def around(month):
        return {p.pk for p in periods if p.start <= month.start and p.end >= month.end}

    assert touched == {(a.pk, p) for p in around(january)} | {(b.pk, p) for p in around(july)}
    assert (a.pk, july.pk) not in touched and (b.pk, january.pk) not in touched


def test_a_run_started_while_another_runs_waits_for_it_before_claiming(org):
    """The organization's recalculation lock is PostgreSQL's own (an advisory lock of the
    session): held by one run, another connection cannot take it until it is released, and
    a connection that dies releases it."""
    import psycopg2

    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    key = (tasks.ORG_LOCK_KEY, org.pk)
    try:
        with other.cursor() as cursor, tasks.one_run_at_a_time(org):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            assert cursor.fetchone()[0] is False  # a second run would wait here
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            assert cursor.fetchone()[0] is True  # released when the run ended
    finally:
        other.close()  # its session lock goes with it
    with tasks.one_run_at_a_time(org):
        pass  # free again
