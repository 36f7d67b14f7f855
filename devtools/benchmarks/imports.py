"""``benchmark import``: the spreadsheet upload of actuals against a floor of reading the
file and copying its rows into the database.

Builds a throwaway organization with enough departments x KPIs x months for the number of
rows asked (25 typed, monthly, summed count KPIs per department, 40 months), writes an .xlsx
in the download's columns with a value for every (KPI, month) - values that score green or
amber, never red, so no note is required - then times

- the floor: python-calamine reading the data sheet of that file, plus one ``COPY`` of the
  same rows (organization, period, KPI, value, note, version) into an unindexed scratch
  table - logged, created by the owner (DATABASE_OWNER_URL) when this role may not create
  tables (devtools.benchmarks.rollup.floor_table); what any import must at least do, and
- the upload path: ``read_rows`` + ``import_rows`` as an admin (the XML scan, calamine,
  checks, one ``actuals_save`` call, bulk insert with history, recalculation marks), as the
  background job runs it;
- the table floor: the same rows stored in the actuals table itself, as PostgreSQL must
  at least do it under that table's guarantees - one ``COPY`` into a temporary staging
  table (``COPY`` into a table with row-level security is refused), one
  ``INSERT ... SELECT`` into ``metrics_actual`` (its seven indexes, its row-level security
  check) and its foreign keys checked (``SET CONSTRAINTS ALL IMMEDIATE``), no history, no
  check of any row; rolled back. ``table_floor_ratio`` is this floor against the one
  above, ``table_ratio`` the upload against it (issue 15's note says why);
- the same file uploaded again: every row equal to what is stored, so nothing is written
  (``again_seconds``; refused if anything was created, changed or reported as a conflict).

The organization, its user and the history rows of its actuals are deleted afterwards.
"""

from __future__ import annotations

import io
import math
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from pghistory.models import Context
from python_calamine import CalamineWorkbook

from departments.selectors import membership_for
from departments.services import department_create, organization_create
from metrics import entry_headers, spreadsheets
from metrics.models import Actual, ActualChange, Kpi, PeriodKind, TemplateItem
from metrics.selectors import kpi_list, period_list
from metrics.services import recalc
from metrics.services.indicators import indicator_create
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply, template_save
from perfhub.tenancy import activate_org, org_atomic

HELP = "Upload of an .xlsx of actuals (read_rows + import_rows) against calamine + COPY."

KPIS_PER_DEPARTMENT = 25
MONTHS = 40
FIRST_FISCAL_YEAR = 2001  # far from today: the benchmark's periods never look current


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the file (50000)")


def run(*, log, rows: int = 50_000, **_options) -> dict:
    if not 1 <= rows <= spreadsheets.MAX_ROWS:
        raise CommandError(f"--rows must be between 1 and {spreadsheets.MAX_ROWS}")
    with _roll_ups_not_requested():
        return _run(log=log, rows=rows)


@contextmanager
def _roll_ups_not_requested():
    """Keep the import's after-commit "recalculate these periods" from reaching the jobs.

    In production that is a ~1.5 ms publish and the roll-up runs later on a worker; here,
    without REDIS_URL, Celery runs tasks eagerly and the roll-up of 40 periods would be
    timed as part of the upload (the `rollup` benchmark times it on its own), and with a
    broker a worker would recalculate an organization that is about to be deleted. The
    marks themselves are still written, as on every save."""
    with mock.patch.object(recalc, "recalculation_enqueue", return_value=False):
        yield


def _run(*, log, rows: int) -> dict:
    log("setting up a throwaway organization ...")
    world = _setup(rows)
    try:
        log("writing the workbook ...")
        data = _workbook(world, rows)
        log(f"{len(data):,} bytes; timing the floor (calamine + COPY) ...")
        floor_read, floor_copy, floor_table_kind = _floor(world, data, rows)
        floor = floor_read + floor_copy
        log(f"floor {floor:.2f} s; timing the table floor (COPY + INSERT into actuals) ...")
        table_floor = floor_read + _table_floor(world)
        log(f"table floor {table_floor:.2f} s; timing the upload path ...")
        upload = SimpleUploadedFile(
            "benchmark.xlsx", data, content_type=spreadsheets.XLSX_CONTENT_TYPE
        )
        started = time.perf_counter()
        # As in a request: one transaction with the database set to the organization.
        with org_atomic(world["org"]):
            raw_rows = spreadsheets.read_rows(upload, upload.name)
            read_seconds = time.perf_counter() - started
            result = spreadsheets.import_rows(
                org=world["org"], by=world["user"], membership=world["membership"], rows=raw_rows
            )
        seconds = time.perf_counter() - started
        if result.created != rows:
            raise RuntimeError(f"saved {result.created} actuals, expected {rows}")
        log("timing the same file uploaded again (every row unchanged) ...")
        upload.seek(0)
        started = time.perf_counter()
        with org_atomic(world["org"]):
            again = spreadsheets.import_rows(
                org=world["org"],
                by=world["user"],
                membership=world["membership"],
                rows=spreadsheets.read_rows(upload, upload.name),
            )
        again_seconds = time.perf_counter() - started
        if (again.created, again.updated, again.unchanged) != (0, 0, rows):
            raise RuntimeError(f"the second upload changed something: {again}")
    finally:
        log("deleting the throwaway organization ...")
        _cleanup(world)
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "floor_seconds": round(floor, 3),
        "floor_read_seconds": round(floor_read, 3),
        "floor_copy_seconds": round(floor_copy, 3),
        "floor_table": floor_table_kind,
        "ratio": round(seconds / floor, 2),
        "table_floor_seconds": round(table_floor, 3),
        "table_floor_ratio": round(table_floor / floor, 2),
        "table_ratio": round(seconds / table_floor, 2),
        "read_seconds": round(read_seconds, 3),
        "save_seconds": round(seconds - read_seconds, 3),
        "again_seconds": round(again_seconds, 3),
    }


def _setup(rows: int) -> dict:
    token = uuid.uuid4().hex[:10]
    user = get_user_model().objects.create_user(username=f"benchmark-{token}", password=None)
    world: dict = {"user": user, "org": None, "rows": rows}
    try:
        with transaction.atomic():
            org = organization_create(
                name=f"Benchmark {token} (throwaway)",
                slug=f"benchmark-{token}",
                by=user,
                language="en",
            )
            world["org"] = org
            activate_org(org)  # this transaction writes the organization's rows (RLS)
            indicators = [
                indicator_create(
                    org=org,
                    by=user,
                    code=f"bench_{n:02d}",
                    name=f"基准指标 {n:02d}",
                    name_en=f"Benchmark count {n:02d}",
                    unit="count",
                    direction="higher_is_better",
                    aggregation="sum",
                    frequency=PeriodKind.MONTH,
                    default_target=Decimal(100),
                    default_threshold=Decimal(0),
                )
                for n in range(KPIS_PER_DEPARTMENT)
            ]
            per_department = KPIS_PER_DEPARTMENT * MONTHS
            departments = [
                department_create(
                    org=org,
                    by=user,
                    name=f"部门 {n:03d}",
                    name_en=f"Department {n:03d}",
                    code=f"d{n:03d}",
                    kind="business" if n % 2 else "management",
                    function="other",
                )
                for n in range(math.ceil(rows / per_department))
            ]
            template = template_save(
                org=org,
                by=user,
                code="benchmark",
                name="基准模板",
                name_en="Benchmark template",
                items=[
                    {
                        "indicator": indicator,
                        "weight": Decimal(100) / KPIS_PER_DEPARTMENT,
                        "target": Decimal(100),
                        "threshold": Decimal(0),
                    }
                    for indicator in indicators
                ],
            )
            template_apply(template=template, departments=departments, by=user)
            for n in range(math.ceil(MONTHS / 12)):
                periods_generate(org=org, fiscal_year=FIRST_FISCAL_YEAR + n, by=user)
    except BaseException:
        _cleanup(world)
        raise
    membership = membership_for(user=user, slug=org.slug)
    membership.managed_ids = frozenset()
    with org_atomic(org):
        world.update(
            membership=membership,
            months=list(period_list(org=org, kind=PeriodKind.MONTH)[:MONTHS]),
            kpis=list(
                kpi_list(org=org)
                .filter(indicator__code__startswith="bench_")
                .select_related("department", "indicator")
            ),
        )
    return world


def _workbook(world: dict, rows: int) -> bytes:
    def generate():
        n = 0
        for period in world["months"]:
            label = str(period.label)
            for kpi in world["kpis"]:
                if n == rows:
                    return
                # 95-114 against a target of 100: green or amber, never red (no note needed).
                value = 95 + n % 20
                yield (
                    period.pk,
                    label,
                    kpi.department.code,
                    kpi.department.display_name,
                    kpi.pk,
                    kpi.indicator.code,
                    kpi.indicator.display_name,
                    kpi.indicator.unit,
                    100,
                    value,
                    f"benchmark note {n}" if n % 10 == 0 else "",
                    0,
                )
                n += 1

    return spreadsheets.workbook_bytes(generate(), title="benchmark")


FLOOR_COLUMNS = (
    "(organization_id bigint, period_id bigint, kpi_id bigint, value numeric(20, 6),"
    " note text, version integer)"
)


def _floor(world: dict, data: bytes, rows: int) -> tuple[float, float, str]:
    """(read seconds, copy seconds, table kind): calamine reading every row of the data
    sheet, then one COPY of those rows into a scratch table, in the organization's
    transaction as the import's own writes are."""
    from .rollup import floor_table  # rollup imports this module's clean-up

    started = time.perf_counter()
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    grid = workbook.get_sheet_by_index(0).to_python()  # the data sheet, in any language
    workbook.close()
    read = time.perf_counter() - started
    if len(grid) - 1 != rows:
        raise RuntimeError(f"calamine read {len(grid) - 1} rows, expected {rows}")
    header = [entry_headers.column_for(h) for h in grid[0]]
    i_period, i_kpi, i_value, i_note, i_version = (
        header.index(c) for c in ("period_id", "kpi_id", "value", "note", "version")
    )
    org_id = world["org"].pk
    with (
        connection.cursor() as cursor,
        floor_table(cursor, FLOOR_COLUMNS) as (table, kind),
        org_atomic(world["org"]),
    ):
        started = time.perf_counter()
        buffer = io.StringIO()
        for row in grid[1:]:
            note = str(row[i_note]).replace("\\", "\\\\").replace("\t", " ")
            note = note.replace("\n", " ").replace("\r", " ")
            buffer.write(
                f"{org_id}\t{int(row[i_period])}\t{int(row[i_kpi])}\t{row[i_value]}"
                f"\t{note}\t{int(row[i_version])}\n"
            )
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)
        copy = time.perf_counter() - started
    return read, copy, kind


TABLE_FLOOR_COLUMNS = (
    "organization_id, kpi_id, period_id, department_id, value, note, version, source,"
    " entered_by_id, entered_at, status, review_reason"
)


def _table_floor(world: dict) -> float:
    """Seconds to store the benchmark's rows in metrics_actual with nothing but what the
    table itself demands (see the module's docstring), rolled back. The rows are built
    before the clock starts: the floor's own read is added by the caller."""
    from metrics.services.actuals import ignored_history_triggers

    org, user = world["org"], world["user"]
    now = timezone.now().isoformat()
    lines = []
    for n, (period, kpi) in enumerate((p, k) for p in world["months"] for k in world["kpis"]):
        if n == world["rows"]:
            break
        lines.append(
            f"{org.pk}\t{kpi.pk}\t{period.pk}\t{kpi.department_id}\t{95 + n % 20}\t\t1"
            f"\timport\t{user.pk}\t{now}\tentered\t\n"
        )
    buffer = io.StringIO("".join(lines))
    with org_atomic(org), connection.cursor() as cursor:
        started = time.perf_counter()
        # The history triggers are left out, as the import's own writes leave them out.
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', %s, true)", [ignored_history_triggers()]
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE benchmark_stage ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {TABLE_FLOOR_COLUMNS} FROM metrics_actual WHERE false"
        )
        cursor.cursor.copy_expert(
            f"COPY benchmark_stage ({TABLE_FLOOR_COLUMNS}) FROM STDIN", buffer
        )
        cursor.execute(
            f"INSERT INTO metrics_actual ({TABLE_FLOOR_COLUMNS}) "  # noqa: S608
            f"SELECT {TABLE_FLOOR_COLUMNS} FROM benchmark_stage"
        )
        if cursor.rowcount != world["rows"]:
            raise RuntimeError(f"the table floor stored {cursor.rowcount} rows")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys, checked now
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def _cleanup(world: dict) -> None:
    """Delete the throwaway organization. Actuals go first (they protect their periods, KPIs
    protect their indicators), then their history (with the rows the deletion itself
    recorded) and the history contexts of the import."""
    org, user = world.get("org"), world.get("user")
    with transaction.atomic():
        if org is not None and org.pk is not None:
            activate_org(org)
            history = ActualChange.objects.filter(organization_id=org.pk)
            contexts = set(history.exclude(pgh_context=None).values_list("pgh_context", flat=True))
            Actual.objects.for_org(org).delete()
            history.delete()
            Context.objects.filter(pk__in=contexts).delete()
            Kpi.objects.for_org(org).delete()
            TemplateItem.objects.for_org(org).delete()
            org.delete()
        if user is not None and user.pk is not None:
            user.delete()
