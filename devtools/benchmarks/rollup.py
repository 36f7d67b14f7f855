"""``benchmark rollup``: a full recalculation of a large organization against the floor.

Builds a throwaway organization of D departments × K KPIs × M months of actuals (KPIs of
every aggregation and direction, a few tracked), then times

- the floor: one plain SQL statement that aggregates the same actuals by department, KPI and
  period (month, quarter, year) and writes as many rows into a scratch table - what any
  roll-up must at least read and write; and
- the full recalculation (scorecards.rollup.recalculate over every period): lines, scorecards,
  hierarchy, organization indices, goals; and a second run with nothing changed.

Then the incremental cost of one save (`incremental`): one department's month marked (with
its quarter and year, as a saved actual marks them) and the real job run in-process
(`reviews.recalculate`: claim, roll-up of what the marks reach, marks cleared), `--saves`
times over different departments and months; the median and 95th percentile. The target:
the figure at `--departments 800` within 1.5x of the one at 50 (a save costs what it
changes, not the size of the organization). `--incremental-only` skips the full runs'
timings (one full recalculation still computes the scorecards first).

Memory: the peak resident size of the process, and the peak of Python allocations during
the recalculation alone (tracemalloc) - constant, because the work happens in the database.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import time
import tracemalloc
import uuid
from contextlib import contextmanager
from decimal import Decimal

import psycopg2
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from departments.models import Department
from departments.services import department_create, organization_create
from metrics.models import Actual, Indicator, Kpi, KpiPeriodTarget, Period
from metrics.selectors import period_list
from metrics.services.periods import periods_generate
from perfhub.history import declare_no_ignored_triggers
from perfhub.tenancy import org_atomic
from scorecards import rollup
from scorecards.models import OrgScorecard, Scorecard, ScorecardLine

from .imports import _cleanup as delete_throwaway
from .imports import _roll_ups_not_requested
from .rollup_saves import measure_single_saves

HELP = "Full recalculation of D departments x K KPIs x M months against a plain SQL floor."
FIRST_FISCAL_YEAR = 2001
SHAPES = [  # (aggregation, direction, target, threshold, target_max)
    ("sum", "higher_is_better", 300, 0, None),
    ("average", "higher_is_better", 90, 50, None),
    ("average", "lower_is_better", 15, 30, None),
    ("last", "within_range", 95, 10, 105),
    ("min", "higher_is_better", 80, 40, None),
    ("max", "lower_is_better", 20, 40, None),
]


def add_arguments(parser) -> None:
    parser.add_argument("--departments", type=int, default=200)
    parser.add_argument("--kpis", type=int, default=25)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument(
        "--repeat", type=int, default=3, help="floor and recalculation runs; medians (3)"
    )
    parser.add_argument(
        "--saves", type=int, default=20, help="single-save incremental runs timed (20)"
    )
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="time only the incremental runs (after one untimed full recalculation)",
    )


def run(
    *,
    log,
    departments=200,
    kpis=25,
    months=36,
    repeat=3,
    saves=20,
    incremental_only=False,
    **_options,
) -> dict:
    if connection.vendor != "postgresql":
        log("warning: not PostgreSQL; these figures say nothing about production")
    with _roll_ups_not_requested():
        world = _setup(log, departments, kpis, months)
        try:
            if incremental_only:
                with org_atomic(world["org"]):
                    period_ids = list(period_list(org=world["org"]).values_list("pk", flat=True))
                log("full recalculation (untimed) ...")
                rollup.recalculate(org=world["org"], period_ids=period_ids)
                settle_scorecards(log)
                figures = {
                    "actuals": world["actuals"],
                    "period_targets": world.get("period_targets", 0),
                    "departments": departments,
                }
            else:
                figures = _measure(log, world, repeat)
            figures["incremental"] = measure_single_saves(log, world, saves)
            return figures
        finally:
            log("deleting the throwaway organization ...")
            _cleanup(world)


def _setup(log, departments: int, kpis: int, months: int) -> dict:
    token = uuid.uuid4().hex[:10]
    user = get_user_model().objects.create_user(username=f"benchmark-{token}", password=None)
    org = organization_create(name=f"Benchmark {token}", slug=f"bench-{token}", by=user)
    world = {"org": org, "user": user}
    with org_atomic(org):  # as any job: the database set to the organization (RLS)
        _generate(log, world, departments, kpis, months)
    _settle(log)
    return world


def _settle(log) -> None:
    """What autovacuum would have done by the time anyone recalculates: statistics, and the
    new rows marked visible (else the first statement to read them pays for writing those
    marks, and a floor timed first looks slower than it is)."""
    _vacuum(log, [m._meta.db_table for m in (Actual, Kpi, Period, Department, Indicator)])


def settle_scorecards(log) -> None:
    """After the first computation of the organization's scorecards: what autovacuum does
    within a minute of so many new rows (statistics, visibility), before anyone saves.
    Without statistics the planner guesses a handful of scorecards where there are
    thousands and picks plans no production database would run."""
    _vacuum(log, [m._meta.db_table for m in (ScorecardLine, Scorecard, OrgScorecard)])


def _vacuum(log, tables: list[str]) -> None:
    """VACUUM ANALYZE these tables: as the owner (DATABASE_OWNER_URL) when given, else as
    this role (PostgreSQL skips, with a warning, the tables it does not own); only ANALYZE
    inside a transaction (the tests)."""
    names = ", ".join(tables)
    owner_url = os.environ.get("DATABASE_OWNER_URL", "")
    if owner_url:
        owner = psycopg2.connect(owner_url)
        try:
            owner.autocommit = True  # VACUUM runs outside a transaction
            with owner.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {names}")
        finally:
            owner.close()
        return
    with connection.cursor() as cursor:
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        cursor.execute(f"{command} {names}")
    log(f"({command} as this role: set DATABASE_OWNER_URL for the tables' owner)")


def _generate(log, world: dict, departments: int, kpis: int, months: int) -> None:
    org, user = world["org"], world["user"]
    log(f"{departments} departments x {kpis} KPIs x {months} months ...")
    years = -(-months // 12)
    for n in range(years):
        periods_generate(org=org, fiscal_year=FIRST_FISCAL_YEAR + n, by=user)
    month_rows = list(period_list(org=org, kind="month"))[:months]
    indicators = Indicator.objects.bulk_create(
        Indicator(
            organization=org,
            code=f"bench_{n}",
            name=f"Benchmark {n}",
            unit="ratio",
            direction=SHAPES[n % len(SHAPES)][1],
            aggregation=SHAPES[n % len(SHAPES)][0],
            frequency="month",
            default_target_period="month",
        )
        for n in range(kpis)
    )
    # Only the benchmark's own KPIs: a management department would otherwise also get the
    # built-in internal-service-satisfaction KPI (metrics.services.kpis.computed_kpis_ensure).
    Indicator.objects.for_org(org).filter(is_computed=True).update(is_active=False)
    roots: list = []
    depts = []
    for n in range(departments):
        parent = roots[n % len(roots)] if n >= 10 and roots else None
        d = department_create(
            org=org,
            by=user,
            name=f"D{n}",
            code=f"d{n}",
            parent=parent,
            kind="management" if n % 3 == 0 else "business",
            function="hr" if n % 3 == 0 else "sales",
        )
        if n < 10:
            roots.append(d)
        depts.append(d)
    kpi_rows = []
    for d in depts:
        for n, ind in enumerate(indicators):
            _agg, _dir, target, threshold, target_max = SHAPES[n % len(SHAPES)]
            tracked = n % 10 == 9  # a few components: weight 0, no target
            kpi_rows.append(
                Kpi(
                    organization=org,
                    department=d,
                    indicator=ind,
                    weight=Decimal(0 if tracked else 4),
                    target=None if tracked else Decimal(target),
                    threshold=None if tracked else Decimal(threshold),
                    target_max=Decimal(target_max) if target_max and not tracked else None,
                    target_period="month",
                )
            )
    kpi_rows = Kpi.objects.bulk_create(kpi_rows, batch_size=5000)
    world["period_targets"] = _seasonal_targets(org, kpi_rows, month_rows)
    rng = random.Random(7)
    now = timezone.now()
    log("writing actuals ...")
    declare_no_ignored_triggers()
    batch = []
    for kpi in kpi_rows:
        shape = SHAPES[int(kpi.indicator.code.split("_")[1]) % len(SHAPES)]
        for m in month_rows:
            batch.append(
                Actual(
                    organization=org,
                    kpi=kpi,
                    period=m,
                    department_id=kpi.department_id,
                    value=Decimal(round(shape[2] * rng.uniform(0.6, 1.3), 2)),
                    entered_at=now,
                    source="import",
                    entered_by=user,
                )
            )
        if len(batch) >= 20000:
            Actual.objects.bulk_create(batch)
            batch = []
    Actual.objects.bulk_create(batch)
    world.update(actuals=len(kpi_rows) * len(month_rows))


def _seasonal_targets(org, kpi_rows: list, month_rows: list) -> int:
    """Targets per period (issue 20), as a seasonal business sets them: every other
    department's `sum` KPIs get a target of their own in every month, low in spring and
    high at year end (their quarters and years then add up the months), so the roll-up's
    figures are taken with period targets present."""
    rows = []
    for kpi in kpi_rows:
        if kpi.target is None or kpi.department_id % 2 or kpi.indicator.aggregation != "sum":
            continue
        for n, month in enumerate(month_rows):
            season = Decimal("0.7") + Decimal("0.05") * (n % 12)  # 0.70 ... 1.25
            rows.append(
                KpiPeriodTarget(
                    organization=org,
                    kpi=kpi,
                    period=month,
                    target=(kpi.target * season).quantize(Decimal("0.01")),
                    threshold=kpi.threshold,
                )
            )
    KpiPeriodTarget.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# A plain table, logged like the scorecard lines (what any roll-up must write durably), no
# index, no constraint, no row-level security.
FLOOR_COLUMNS = "(department_id bigint, kpi_id bigint, period_id bigint, value numeric(20, 6))"
FLOOR_SQL = """
    INSERT INTO {table}
    SELECT a.department_id, a.kpi_id, p.id AS period_id, SUM(a.value) AS value
    FROM {actual} a
    JOIN {period} m ON m.id = a.period_id
    JOIN {period} p ON p.organization_id = a.organization_id
      AND m.start >= p.start AND m."end" <= p."end"
    WHERE a.organization_id = %s
    GROUP BY a.department_id, a.kpi_id, p.id
"""


@contextmanager
def floor_table(cursor, columns: str = FLOOR_COLUMNS):
    """(name, kind) of an empty scratch table for the floor (`columns`: its definition in
    parentheses), dropped afterwards.

    Logged, like the lines: created by this role when it may create tables, else by the
    owner (DATABASE_OWNER_URL, as `make migrate` uses) and granted to this role. Only when
    neither can, a temporary table, which skips the write-ahead log and so makes a faster
    floor (and a higher ratio); the figures say which."""
    name = f"benchmark_floor_{uuid.uuid4().hex[:8]}"
    role = connection.ops.quote_name(connection.settings_dict["USER"])
    owner_url = os.environ.get("DATABASE_OWNER_URL", "")
    cursor.execute("SELECT has_schema_privilege(current_schema(), 'CREATE')")
    if cursor.fetchone()[0]:
        kind, owner = "logged", None
        cursor.execute(f"CREATE TABLE {name} {columns}")
    elif owner_url:
        kind, owner = "logged", psycopg2.connect(owner_url)
        with owner, owner.cursor() as c:
            c.execute(f"CREATE TABLE {name} {columns}")
            c.execute(f"GRANT INSERT, SELECT ON {name} TO {role}")
    else:
        kind, owner = "temporary", None
        cursor.execute(f"CREATE TEMPORARY TABLE {name} {columns}")
    try:
        yield name, kind
    finally:
        if owner is None:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        else:
            with owner, owner.cursor() as c:
                c.execute(f"DROP TABLE IF EXISTS {name}")
            owner.close()


def _time_floor(org) -> tuple[float, int, str]:
    with (
        connection.cursor() as cursor,
        floor_table(cursor) as (table, kind),
        org_atomic(org),
    ):
        started = time.perf_counter()
        cursor.execute(
            FLOOR_SQL.format(
                table=table, actual=Actual._meta.db_table, period=Period._meta.db_table
            ),
            [org.pk],
        )
        seconds = time.perf_counter() - started
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own name
        rows = cursor.fetchone()[0]
        transaction.set_rollback(True)  # nothing kept
    return seconds, rows, kind


def _forget_scorecards(log, org) -> None:
    """Back to an organization never computed: its scorecards deleted, the tables vacuumed
    (as the owner) so the next run inserts as the first did."""
    with org_atomic(org):
        for model in (ScorecardLine, Scorecard, OrgScorecard):
            model.objects.for_org(org).delete()
    _vacuum(log, [m._meta.db_table for m in (ScorecardLine, Scorecard, OrgScorecard)])


def _measure(log, world: dict, repeat: int = 3) -> dict:
    """Floor and full recalculation `repeat` times each, alternating (this machine's speed
    varies from one second to the next); the medians and their ratio, and every run. The
    recalculation runs as configured (`ROLLUP_WORKERS` parts at once) and, for comparison,
    in one part (`one_part`: one transaction on one connection)."""
    org = world["org"]
    with org_atomic(org):
        period_ids = list(period_list(org=org).values_list("pk", flat=True))
    runs = []
    for n in range(max(repeat, 1)):
        if n:
            _forget_scorecards(log, org)
        floor, floor_rows, floor_kind = _time_floor(org)
        log(f"run {n + 1}: floor {floor:.2f} s for {floor_rows:,} rows; full recalculation ...")
        tracemalloc.start()
        started = time.perf_counter()
        result = rollup.recalculate(org=org, period_ids=period_ids)
        seconds = time.perf_counter() - started
        _current, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        _forget_scorecards(log, org)
        log(f"run {n + 1}: {seconds:.2f} s; in one part ...")
        with override_settings(ROLLUP_WORKERS=1):
            started = time.perf_counter()
            rollup.recalculate(org=org, period_ids=period_ids)
            one_part = time.perf_counter() - started
        runs.append(
            {
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "one_part_seconds": round(one_part, 3),
            }
        )
    with org_atomic(org):
        lines = ScorecardLine.objects.for_org(org).count()
    started = time.perf_counter()
    rollup.recalculate(org=org, period_ids=period_ids)
    unchanged = time.perf_counter() - started
    seconds = statistics.median(r["seconds"] for r in runs)
    floor = statistics.median(r["floor_seconds"] for r in runs)
    one_part = statistics.median(r["one_part_seconds"] for r in runs)
    return {
        "actuals": world["actuals"],
        "period_targets": world.get("period_targets", 0),
        "scorecard_lines": lines,
        "scorecards": result.scorecards,
        "periods": result.periods,
        "workers": settings.ROLLUP_WORKERS,
        "seconds": round(seconds, 3),
        "floor_seconds": round(floor, 3),
        "floor_rows": floor_rows,
        "floor_table": floor_kind,
        "ratio": round(seconds / floor, 2),
        "one_part": {"seconds": round(one_part, 3), "ratio": round(one_part / floor, 2)},
        "runs": runs,
        "seconds_when_nothing_changed": round(unchanged, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rollup_python_peak_kb": round(python_peak / 1024, 1),
    }


def _cleanup(world: dict) -> None:
    """The import benchmark's clean-up, after what only this one writes."""
    org = world.get("org")
    if org is not None and org.pk is not None:
        with org_atomic(org):
            ScorecardLine.objects.for_org(org).delete()
            Department.objects.for_org(org).update(parent=None)  # parents protect children
    delete_throwaway(world)
