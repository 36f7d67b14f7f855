"""The Excel/CSV round trip of actuals: writing the grid, reading uploads, importing rows."""

import io
import json
import re
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.xml
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from openpyxl import load_workbook

from departments.models import Organization, Role
from departments.selectors import managed_department_ids, membership_for
from metrics import entry_headers, spreadsheets
from metrics.models import Actual, ActualChange, Kpi, PeriodKind, Template
from metrics.selectors import period_list
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.library import library_install
from metrics.services.periods import period_lock, periods_generate
from metrics.services.templates import template_apply
from metrics.spreadsheets import ImportRefused, SpreadsheetRefused
from tests.factories import make_department

pytestmark = pytest.mark.django_db

# Values that score green or amber (no note needed) for the sales template's typed KPIs.
GOOD = {
    "sales_revenue": 2_000_000,
    "profit": 300_000.5,
    "customer_growth": 2,
    "acquisition_spend": 10_000,
    "new_customers": 50,
    "customer_satisfaction": 92,
}


@pytest.fixture
def world(org, sales, admin):
    """Acme with the library, FY2026 periods, Sales (sales template) and Finance (finance
    template, not managed by the manager)."""
    library_install(org=org)
    periods_generate(org=org, fiscal_year=2026, by=None)
    finance = make_department(org, code="finance", kind="management", function="finance")
    templates = {t.code: t for t in Template.objects.for_org(org)}
    template_apply(template=templates["sales_standard"], departments=[sales], by=None)
    template_apply(template=templates["finance_standard"], departments=[finance], by=None)
    months = list(period_list(org=org, kind=PeriodKind.MONTH))
    return {"org": org, "sales": sales, "finance": finance, "period": months[2], "admin": admin}


def _membership(org, user, managed=frozenset()):
    membership = membership_for(user=user, slug=org.slug)
    membership.managed_ids = managed_department_ids(org=org, user=user) or managed
    return membership


def _download(world, department_ids=None):
    return spreadsheets.workbook_for(
        org=world["org"], period=world["period"], department_ids=department_ids
    )


def _fill(data: bytes, values: dict, notes: dict | None = None) -> bytes:
    """Open a downloaded workbook, set `value` (and `note`) by indicator code (and
    department code when the key is a tuple), save it again."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [entry_headers.column_for(c.value) for c in ws[1]]
    col = {name: header.index(name) + 1 for name in header}
    for r in range(2, ws.max_row + 1):
        code = ws.cell(r, col["indicator_code"]).value
        department = ws.cell(r, col["department_code"]).value
        for key in ((department, code), code):
            if key in values:
                ws.cell(r, col["value"]).value = values[key]
                break
        for key in ((department, code), code):
            if notes and key in notes:
                ws.cell(r, col["note"]).value = notes[key]
                break
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(world, data: bytes, name="actuals.xlsx", user=None, membership=None):
    user = user or world["admin"]
    membership = membership or _membership(world["org"], user)
    rows = spreadsheets.read_rows(io.BytesIO(data), name)
    return spreadsheets.import_rows(org=world["org"], by=user, membership=membership, rows=rows)


def _rows(data: bytes) -> list[dict]:
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = list(ws.iter_rows(values_only=True))
    header = [entry_headers.column_for(name) for name in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def _sales_row_numbers(data: bytes) -> dict[str, int]:
    return {
        r["indicator_code"]: n
        for n, r in enumerate(_rows(data), start=2)
        if r["department_code"] == "sales"
    }


# --- the download --------------------------------------------------------------------------


def test_defusedxml_protects_openpyxl():
    assert openpyxl.xml.DEFUSEDXML is True


def test_workbook_lists_typed_kpis_with_numbers_and_instructions(world):
    data = _download(world)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Entries", spreadsheets.HELP_SHEET]  # English (see conftest)
    header = tuple(c.value for c in wb.worksheets[0][1])
    assert header[:2] == ("Period id", "Period") and header[-3:] == ("Value", "Note", "Version")
    assert tuple(entry_headers.column_for(h) for h in header) == spreadsheets.COLUMNS
    help_text = " ".join(
        str(c.value) for row in wb[spreadsheets.HELP_SHEET].iter_rows() for c in row
    )
    assert "Formula KPIs" in help_text and "公式指标" in help_text
    rows = _rows(data)
    codes = {(r["department_code"], r["indicator_code"]) for r in rows}
    assert ("sales", "sales_revenue") in codes and ("finance", "budget_execution") in codes
    # Formula KPIs are computed by PerfHub: never in the file.
    assert not {c for _d, c in codes} & {"profit_margin", "customer_acquisition_cost"}
    revenue = next(r for r in rows if r["indicator_code"] == "sales_revenue")
    assert revenue["period"] == "2026-03"
    assert revenue["period_id"] == world["period"].pk
    assert revenue["unit"] == "currency"
    assert isinstance(revenue["target"], float)  # a quarterly 5,000,000 is 1,666,666.67 a month
    assert revenue["target"] == pytest.approx(1_666_666.67, abs=0.01)
    assert revenue["value"] is None and revenue["version"] == 0


def test_workbook_for_one_department_only(world):
    rows = _rows(_download(world, department_ids=[world["sales"].pk]))
    assert rows and {r["department_code"] for r in rows} == {"sales"}


def test_download_of_a_locked_period_is_refused(world):
    period_lock(period=world["period"], by=None)
    world["period"].refresh_from_db()
    with pytest.raises(SpreadsheetRefused, match="locked"):
        _download(world)


def test_note_that_looks_like_a_formula_is_written_as_text(world):
    kpi = Kpi.objects.for_org(world["org"]).get(
        department=world["sales"], indicator__code="new_customers"
    )
    actuals_save(
        org=world["org"],
        by=None,
        source="web",
        entries=[ActualInput(kpi.pk, world["period"].pk, 50, note='=HYPERLINK("x")')],
        can_enter=lambda d: True,
    )
    data = _download(world)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    notes = [row[10] for row in ws.iter_rows(min_row=2)]
    cell = next(c for c in notes if c.value and str(c.value).startswith("="))
    assert cell.data_type == "s"
    csv_text = spreadsheets.csv_for(
        org=world["org"], period=world["period"], department_ids=None
    ).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


# --- the round trip -------------------------------------------------------------------------


def test_round_trip_saves_every_filled_row_with_history(world):
    data = _fill(_download(world), {("sales", k): v for k, v in GOOD.items()})
    result = _upload(world, data)
    assert (result.created, result.updated, result.unchanged) == (len(GOOD), 0, 0)
    saved = {
        a.kpi.indicator.code: a
        for a in Actual.objects.for_org(world["org"]).select_related("kpi__indicator")
    }
    assert set(saved) == set(GOOD)
    assert saved["sales_revenue"].value == Decimal(2_000_000)
    assert saved["profit"].value == Decimal("300000.5")
    assert {a.source for a in saved.values()} == {"import"}
    assert {a.entered_by_id for a in saved.values()} == {world["admin"].pk}
    history = ActualChange.objects.filter(organization_id=world["org"].pk)
    assert history.count() == len(GOOD)

    # Downloading again and uploading unchanged changes nothing; a changed value is updated.
    again = _download(world)
    assert _upload(world, again).unchanged == len(GOOD)
    result = _upload(world, _fill(again, {("sales", "new_customers"): 60}))
    assert (result.updated, result.unchanged) == (1, len(GOOD) - 1)
    assert Actual.objects.for_org(world["org"]).get(pk=saved["new_customers"].pk).version == 2


def test_blank_value_cells_are_skipped(world):
    data = _fill(_download(world), {("sales", "new_customers"): 5, ("sales", "profit"): "  "})
    result = _upload(world, data)
    assert result.created == 1


def test_bad_rows_are_each_listed_and_nothing_is_saved(world):
    data = _download(world)
    numbers = _sales_row_numbers(data)
    filled = _fill(
        data,
        {
            ("sales", "sales_revenue"): "abc",
            ("sales", "profit"): "1,5",
            ("sales", "new_customers"): -3,
            ("sales", "customer_satisfaction"): 2000,
            ("sales", "acquisition_spend"): 100,  # a good row: still not saved
        },
    )
    with pytest.raises(ImportRefused) as refused:
        _upload(world, filled)
    problems = refused.value.rows
    by_row = {p.row: p for p in problems}
    assert [p.row for p in problems] == sorted(p.row for p in problems)
    assert "not a number" in by_row[numbers["sales_revenue"]].message
    assert "“1,5” is ambiguous: write 1.5" in by_row[numbers["profit"]].message
    assert "negative" in by_row[numbers["new_customers"]].message
    assert "must be between 0 and 100" in by_row[numbers["customer_satisfaction"]].message
    assert {p.column for p in problems} == {"value"}
    assert len(problems) == 4
    assert not Actual.objects.for_org(world["org"]).exists()


def test_value_scoring_red_needs_a_note(world):
    data = _download(world)
    row = _sales_row_numbers(data)["customer_satisfaction"]
    with pytest.raises(ImportRefused) as refused:
        _upload(world, _fill(data, {("sales", "customer_satisfaction"): 55}))
    assert [(p.row, p.column) for p in refused.value.rows] == [(row, "note")]
    result = _upload(
        world,
        _fill(
            data,
            {("sales", "customer_satisfaction"): 55},
            {("sales", "customer_satisfaction"): "系统故障，已修复"},
        ),
    )
    assert result.created == 1


def test_ids_that_are_not_whole_numbers_are_row_errors(world):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(spreadsheets.COLUMNS))
    kpi = Kpi.objects.for_org(world["org"]).filter(department=world["sales"]).first()
    base = dict.fromkeys(spreadsheets.COLUMNS)
    ws.append(list({**base, "kpi_id": "abc", "period_id": world["period"].pk, "value": 1}.values()))
    ws.append(list({**base, "kpi_id": kpi.pk, "period_id": 1.5, "value": 1}.values()))
    ws.append(list({**base, "kpi_id": kpi.pk, "period_id": 999999, "value": 1}.values()))
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportRefused) as refused:
        _upload(world, out.getvalue())
    assert [(p.row, p.column) for p in refused.value.rows] == [
        (2, "kpi_id"),
        (3, "period_id"),
        (4, "period_id"),
    ]
    assert "Unknown period" in refused.value.rows[2].message


def test_upload_to_a_locked_period_is_refused(world):
    data = _fill(_download(world), {("sales", "new_customers"): 5})
    period_lock(period=world["period"], by=None)
    with pytest.raises(ImportRefused) as refused:
        _upload(world, data)
    assert "locked" in refused.value.rows[0].message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_manager_row_of_a_department_they_do_not_manage_is_refused(world, manager):
    data = _fill(
        _download(world),
        {("sales", "new_customers"): 5, ("finance", "budget_execution"): 100},
    )
    membership = _membership(world["org"], manager)
    assert membership.role == Role.MANAGER
    with pytest.raises(ImportRefused) as refused:
        _upload(world, data, user=manager, membership=membership)
    assert len(refused.value.rows) == 1
    assert "may not enter" in refused.value.rows[0].message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_version_conflict_is_listed_and_nothing_is_overwritten(world, hr):
    data = _download(world)
    kpi = Kpi.objects.for_org(world["org"]).get(
        department=world["sales"], indicator__code="new_customers"
    )
    actuals_save(
        org=world["org"],
        by=hr,
        source="web",
        entries=[ActualInput(kpi.pk, world["period"].pk, 40)],
        can_enter=lambda d: True,
    )
    row = _sales_row_numbers(data)["new_customers"]
    with pytest.raises(ImportRefused) as refused:
        _upload(world, _fill(data, {("sales", "new_customers"): 99, ("sales", "profit"): 1}))
    [problem] = refused.value.rows
    assert problem.row == row
    assert "harry-hr" in problem.message and "40" in problem.message
    assert "download it again" in problem.message
    actual = Actual.objects.for_org(world["org"]).get()
    assert (actual.value, actual.version) == (Decimal(40), 1)


def test_rows_for_another_organizations_kpi_are_unknown(world, other_org):
    library_install(org=other_org)
    periods_generate(org=other_org, fiscal_year=2026, by=None)
    theirs = make_department(other_org, code="sales")
    template = Template.objects.for_org(other_org).get(code="sales_standard")
    template_apply(template=template, departments=[theirs], by=None)
    other = {"org": other_org, "period": list(period_list(org=other_org, kind="month"))[2]}
    data = _fill(_download(other), {"new_customers": 5})
    with pytest.raises(ImportRefused) as refused:
        _upload(world, data)
    assert {p.column for p in refused.value.rows} == {"kpi_id", "period_id"}
    assert not Actual.objects.unscoped().exists()


# --- CSV ------------------------------------------------------------------------------------


def _csv_for(world) -> str:
    return spreadsheets.csv_for(
        org=world["org"], period=world["period"], department_ids=[world["sales"].pk]
    ).decode("utf-8-sig")


def _fill_csv(text: str, code: str, value: str, note: str) -> str:
    lines = text.splitlines()
    header = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[header.index("indicator_code")] == code:
            cells[header.index("value")] = value
            cells[header.index("note")] = note
        out.append(",".join(cells))
    return "\r\n".join(out) + "\r\n"


def test_csv_download_is_utf8_with_bom_and_the_same_columns(world):
    raw = spreadsheets.csv_for(org=world["org"], period=world["period"], department_ids=None)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == ",".join(spreadsheets.COLUMNS)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_upload_in_utf8_bom_or_gb18030(world, encoding):
    text = _fill_csv(_csv_for(world), "customer_satisfaction", "55", "客户投诉增加，正在整改")
    result = _upload(world, text.encode(encoding), name="实际值.csv")
    assert result.created == 1
    actual = Actual.objects.for_org(world["org"]).get()
    assert actual.note == "客户投诉增加，正在整改"
    assert actual.value == Decimal(55)


def test_csv_note_quoted_against_formulas_comes_back_unquoted(world):
    text = _fill_csv(_csv_for(world), "new_customers", "5", "'=1+1")
    _upload(world, text.encode("utf-8"), name="a.csv")
    assert Actual.objects.for_org(world["org"]).get().note == "=1+1"


def test_csv_round_trip_leaves_saved_notes_unchanged(world):
    kpis = {
        k.indicator.code: k
        for k in Kpi.objects.for_org(world["org"])
        .filter(department=world["sales"])
        .select_related("indicator")
    }
    notes = {"new_customers": "-5 vs plan", "profit": "'quoted", "sales_revenue": "多行\n说明"}
    actuals_save(
        org=world["org"],
        by=None,
        source="web",
        entries=[
            ActualInput(kpis[code].pk, world["period"].pk, 1_500_000, note=note)
            for code, note in notes.items()
        ],
        can_enter=lambda d: True,
    )
    result = _upload(world, _csv_for(world).encode("utf-8"), name="a.csv")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_csv_with_semicolons_is_read(world):
    text = _fill_csv(_csv_for(world), "new_customers", "5", "ok").replace(",", ";")
    assert _upload(world, text.encode("utf-8"), name="a.csv").created == 1


def test_utf16_csv_is_refused_with_a_hint():
    with pytest.raises(SpreadsheetRefused, match="CSV UTF-8"):
        spreadsheets.read_rows(io.BytesIO("a,b\r\n".encode("utf-16")), "a.csv")


# --- refused files --------------------------------------------------------------------------


def test_unknown_extension_is_refused():
    with pytest.raises(SpreadsheetRefused, match=r"\.xlsx"):
        spreadsheets.read_rows(io.BytesIO(b"x"), "actuals.pdf")
    with pytest.raises(SpreadsheetRefused, match="Save the file as"):
        spreadsheets.read_rows(io.BytesIO(b"x"), "actuals.xls")


def test_file_over_the_size_limit_is_refused(settings):
    settings.PERFHUB_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(SpreadsheetRefused, match="too large"):
        spreadsheets.read_rows(io.BytesIO(b"x" * 2048), "a.csv")


def test_non_spreadsheet_renamed_xlsx_is_refused():
    with pytest.raises(SpreadsheetRefused, match="not a valid Excel workbook"):
        spreadsheets.read_rows(io.BytesIO(b"%PDF-1.4 definitely not a zip"), "a.xlsx")


def test_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(SpreadsheetRefused, match="not a valid Excel workbook"):
        spreadsheets.read_rows(out, "a.xlsx")


def test_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(spreadsheets.MAX_UNCOMPRESSED_BYTES // len(zeros) + 1):
                member.write(zeros)
    assert out.tell() < 1024 * 1024  # a small upload ...
    with pytest.raises(SpreadsheetRefused, match="unpacks to more than"):
        spreadsheets.read_rows(out, "bomb.xlsx")


def test_workbook_with_xml_entities_is_refused(world):
    """defusedxml refuses DTDs with entities (billion laughs, external entities)."""
    source = zipfile.ZipFile(io.BytesIO(_download(world)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"<worksheet",
                    b'<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><worksheet',
                    1,
                )
            z.writestr(item, content)
    with pytest.raises(SpreadsheetRefused, match="not a valid Excel workbook"):
        spreadsheets.read_rows(out, "a.xlsx")


def test_formula_cells_are_refused(world):
    data = _download(world)
    row = _sales_row_numbers(data)["new_customers"]
    with pytest.raises(ImportRefused) as refused:
        _upload(world, _fill(data, {("sales", "new_customers"): "=20+30"}))
    [problem] = refused.value.rows
    assert (problem.row, problem.column) == (row, "value")
    assert "formula" in problem.message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_missing_header_is_named():
    wb = openpyxl.Workbook()
    wb.active.append(["period_id", "kpi_id", "value", "note"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(SpreadsheetRefused, match="lacks the column “Version”"):
        spreadsheets.read_rows(out, "a.xlsx")
    with pytest.raises(SpreadsheetRefused, match="lacks the column “KPI id”"):
        spreadsheets.read_rows(io.BytesIO(b"period_id,value,note,version\r\n"), "a.csv")
    # ngettext: two missing columns are "columns".
    with pytest.raises(SpreadsheetRefused, match="lacks the columns “KPI id”, “Version”"):
        spreadsheets.read_rows(io.BytesIO(b"period_id,value,note\r\n"), "a.csv")


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    lines = [",".join(spreadsheets.COLUMNS)] + ["1,,,,1,,,,,5,,0"] * 4
    with pytest.raises(SpreadsheetRefused, match="more than 3 rows"):
        spreadsheets.read_rows(io.BytesIO("\n".join(lines).encode()), "a.csv")


def test_rows_far_down_the_sheet_are_read_despite_a_wrong_dimension(world):
    """The declared dimension is ignored: every row that is really there is read."""
    data = _fill(_download(world), {("sales", "new_customers"): 5})
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B1"', content)
            z.writestr(item, content)
    rows = spreadsheets.read_rows(out, "a.xlsx")
    assert [r.value for r in rows if r.value is not None] == [5]


def test_sheet_named_entries_is_read_whatever_its_position(world):
    wb = load_workbook(io.BytesIO(_fill(_download(world), {("sales", "new_customers"): 7})))
    wb.move_sheet(wb.worksheets[0], offset=1)
    out = io.BytesIO()
    wb.save(out)
    assert _upload(world, out.getvalue()).created == 1


def test_import_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    """Lookups are loaded once and rows written in bulk, whatever the number of rows."""
    small = _fill(_download(world), {("sales", "new_customers"): 5})
    everything = _fill(
        _download(world),
        {
            **{("sales", k): v for k, v in GOOD.items()},
            ("finance", "process_savings"): 60_000,
            ("finance", "compliance_incidents"): 0,
            ("finance", "successful_decisions"): 8,
            ("finance", "reviewed_decisions"): 10,
        },
    )
    membership = _membership(world["org"], world["admin"])
    # Savepoints, the lookups of KPIs, periods and actuals, the bulk insert with its history
    # context, the recalculation marks.
    with django_assert_max_num_queries(13):
        assert _upload(world, small, membership=membership).created == 1
    Actual.objects.for_org(world["org"]).delete()
    with django_assert_max_num_queries(13):
        assert _upload(world, everything, membership=membership).created == len(GOOD) + 4


def test_benchmark_import_prints_figures_and_deletes_its_organization(db):
    out = io.StringIO()
    call_command("benchmark", "import", "--rows", "60", stdout=out, stderr=io.StringIO())
    figures = json.loads(out.getvalue())
    assert figures["rows"] == 60
    assert set(figures) >= {"rows", "seconds", "rows_per_second", "floor_seconds", "ratio"}
    assert figures["floor_seconds"] == pytest.approx(
        figures["floor_read_seconds"] + figures["floor_copy_seconds"], abs=0.002
    )
    assert figures["floor_table"] in {"logged", "temporary"}
    # The table floor stores the rows in metrics_actual and rolls them back: the upload
    # after it still creates every row (the command fails otherwise).
    assert figures["table_floor_seconds"] > figures["floor_read_seconds"]
    # (each figure is rounded: seconds to 3 decimals, ratios to 2)
    seconds, table_floor = figures["seconds"], figures["table_floor_seconds"]
    low = (seconds - 0.0005) / (table_floor + 0.0005) - 0.005
    high = (seconds + 0.0005) / (table_floor - 0.0005) + 0.005
    assert low <= figures["table_ratio"] <= high
    assert not Organization.objects.exists()
    assert not Actual.objects.unscoped().exists()
    assert not ActualChange.objects.exists()
    assert not get_user_model().objects.filter(username__startswith="benchmark-").exists()


# --- the reader's guards (python-calamine trusts the file; metrics.workbook_scan does not) ---


def _rewrite_sheet(data: bytes, change) -> io.BytesIO:
    """The workbook with its first worksheet's XML passed through `change`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            z.writestr(item, content)
    return out


def _value_cell(data: bytes, number: int) -> bytes:
    """The reference of the value column in row `number` (column J of the download)."""
    column = "ABCDEFGHIJKL"[spreadsheets.COLUMNS.index("value")]
    return f'r="{column}{number}"'.encode()


def test_sparse_giant_grid_is_refused_before_calamine_builds_it():
    """Two cells, A1 and ZZ200000: calamine would allocate 140 million cells (GBs)."""
    wb = openpyxl.Workbook()
    wb.active.append(list(spreadsheets.COLUMNS))
    wb.active["ZZ200000"] = 1
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(SpreadsheetRefused, match="reaches row 200,000 and column 702"):
        spreadsheets.read_rows(out, "a.xlsx")


@pytest.mark.parametrize(
    "formula",
    [b"<f>20+30</f><v>50</v>", b'<f t="shared" ref="J2:J3" si="0">20+30</f><v>50</v>'],
    ids=["cached value", "shared formula"],
)
def test_formula_with_a_cached_value_is_refused(world, formula):
    """calamine returns the value a formula last showed; the XML says it is a formula."""
    data = _fill(_download(world), {("sales", "new_customers"): 50})
    row = _sales_row_numbers(data)["new_customers"]
    cell = _value_cell(data, row)

    def to_formula(xml: bytes) -> bytes:
        return re.sub(
            rb"(<c " + cell + rb"[^>]*?)(?: t=\"n\")?>(<v>50</v>)", rb"\1>" + formula, xml
        )

    upload = _rewrite_sheet(data, to_formula)
    assert spreadsheets.read_rows(upload, "a.xlsx")  # read, with the formula noted
    with pytest.raises(ImportRefused) as refused:
        _upload(world, upload.getvalue())
    [problem] = refused.value.rows
    assert (problem.row, problem.column) == (row, "value")
    assert "formula" in problem.message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_doctype_in_another_part_of_the_workbook_is_refused(world):
    """Not only the sheet: the styles (or shared strings) calamine reads too."""
    source = zipfile.ZipFile(io.BytesIO(_fill(_download(world), {("sales", "new_customers"): 5})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                content = content.replace(
                    b"<styleSheet",
                    b'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><styleSheet',
                    1,
                )
            z.writestr(item, content)
    assert b"<!DOCTYPE" in zipfile.ZipFile(out).read("xl/styles.xml")
    with pytest.raises(SpreadsheetRefused, match="not a valid Excel workbook"):
        spreadsheets.read_rows(out, "a.xlsx")


def test_rows_are_counted_across_the_scan_chunks(monkeypatch):
    """The row limit holds when the rows cross the scanner's chunk boundaries."""
    from metrics import workbook_scan

    monkeypatch.setattr(workbook_scan, "_CHUNK", 7)
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    wb = openpyxl.Workbook()
    wb.active.append(list(spreadsheets.COLUMNS))
    for n in range(3):
        wb.active.append([1, "", "", "", n + 1, "", "", "", "", "=1+1", "", 0])
    out = io.BytesIO()
    wb.save(out)
    rows = spreadsheets.read_rows(out, "a.xlsx")  # 3 rows: allowed
    assert [r.formula_columns for r in rows] == [("value",)] * 3
    wb.active.append([1, "", "", "", 9, "", "", "", "", 5, "", 0])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(SpreadsheetRefused, match="more than 3 rows"):
        spreadsheets.read_rows(out, "a.xlsx")


@pytest.mark.parametrize("prefix", ["", "x:"], ids=["plain", "prefixed"])
def test_scan_finds_rows_extent_and_formulas_with_or_without_a_namespace_prefix(prefix):
    from metrics import workbook_scan

    p = prefix
    xml = (
        f'<{p}worksheet xmlns{":x" if p else ""}="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><{p}sheetData>'
        f'<{p}row r="1"><{p}c r="A1" t="s"><{p}v>0</{p}v></{p}c></{p}row>'
        f'<{p}row r="2"><{p}c r="B2"><{p}f>1+1</{p}f><{p}v>2</{p}v></{p}c>'
        f'<{p}c r="AB7"><{p}v>3</{p}v></{p}c></{p}row>'
        f"<{p}row><{p}c><{p}v>4</{p}v></{p}c><{p}c><{p}v>5</{p}v></{p}c></{p}row>"
        f"</{p}sheetData></{p}worksheet>"
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", xml)
    with zipfile.ZipFile(out) as archive:
        scan = workbook_scan.scan_sheet(archive, "xl/worksheets/sheet1.xml", max_rows=10)
        assert (scan.rows, scan.last_row, scan.last_column) == (3, 7, 28)
        assert scan.formulas == {(2, 2)}
        assert scan.unreferenced_cells == 2 and not scan.formula_without_reference
        with pytest.raises(workbook_scan.TooManyRows):
            workbook_scan.scan_sheet(archive, "xl/worksheets/sheet1.xml", max_rows=2)


@pytest.mark.parametrize(
    ("references", "last_row"),
    [
        (["A100", "B9", "C0099"], 100),  # the largest is not the last, nor the longest
        (["A000050", "B100"], 100),  # leading zeros do not make a number larger
        (["A0999", "B100", "C7"], 999),
        (["A1", "B1"], 2),  # rows without a reference follow on (the second <row>)
    ],
)
def test_scan_finds_the_largest_row_referenced_whatever_its_place(references, last_row):
    """The scan compares the row numbers as bytes (the longest, then the greatest): the same
    answer as comparing them as numbers."""
    from metrics import workbook_scan

    cells = "".join(f'<c r="{r}"><v>1</v></c>' for r in references)
    xml = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData><row>{cells}</row><row></row></sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", xml)
    with zipfile.ZipFile(out) as archive:
        scan = workbook_scan.scan_sheet(archive, "xl/worksheets/sheet1.xml", max_rows=10)
    assert scan.last_row == last_row
    assert scan.unreferenced_cells == 0
