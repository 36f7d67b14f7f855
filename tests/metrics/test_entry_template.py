"""The look of the entry template (metrics.spreadsheets.workbook_bytes, styled by
metrics.workbooks): localized headers and sheet name, locked grey reference columns, open
highlighted input columns, number formats, data validation, a frozen header; and the
round trip in both languages (entry_headers.column_for)."""

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from metrics import entry_headers, spreadsheets, workbooks
from metrics.models import PeriodKind, Template
from metrics.selectors import period_list
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply
from tests.metrics.test_spreadsheets import _membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, sales, admin):
    library_install(org=org)
    periods_generate(org=org, fiscal_year=2026, by=None)
    templates = {t.code: t for t in Template.objects.for_org(org)}
    template_apply(template=templates["sales_standard"], departments=[sales], by=None)
    months = list(period_list(org=org, kind=PeriodKind.MONTH))
    return {"org": org, "sales": sales, "period": months[2], "admin": admin}


def _template(world, language):
    with translation.override(language):
        return spreadsheets.workbook_for(
            org=world["org"], period=world["period"], department_ids=None
        )


def _rows_by_code(ws):
    header = [entry_headers.column_for(c.value) for c in ws[1]]
    return header, {
        row[header.index("indicator_code")].value: row for row in ws.iter_rows(min_row=2)
    }


def _fill(cell):
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type == "solid" else None


@pytest.mark.parametrize(
    ("language", "sheet", "headers"),
    [
        ("en", "Entries", ("Period id", "Period", "Department code", "Department", "KPI id")),
        ("zh-hans", "填报", ("期间编号", "期间", "部门代码", "部门", "KPI 编号")),
    ],
)
def test_headers_and_sheet_name_follow_the_language(world, language, sheet, headers):
    wb = load_workbook(io.BytesIO(_template(world, language)))
    ws = wb.worksheets[0]
    assert ws.title == sheet
    assert tuple(c.value for c in ws[1])[:5] == headers
    assert [entry_headers.column_for(c.value) for c in ws[1]] == list(spreadsheets.COLUMNS)
    assert ws.freeze_panes == "A2"


def test_reference_columns_locked_and_grey_inputs_open_and_highlighted(world):
    ws = load_workbook(io.BytesIO(_template(world, "en"))).worksheets[0]
    assert ws.protection.sheet is True
    assert not ws.protection.password  # a guard against slips, not a secret
    assert ws.protection.autoFilter is False and ws.protection.sort is False  # still allowed
    header, rows = _rows_by_code(ws)
    assert rows
    for row in rows.values():
        for name, cell in zip(header, row, strict=True):
            if name in ("value", "note"):
                assert cell.protection.locked is False, name
                assert _fill(cell) == workbooks.INPUT_COLOUR, name
            else:
                assert cell.protection.locked is True, name
                assert _fill(cell) == workbooks.REFERENCE_COLOUR, name
    head = dict(zip(header, ws[1], strict=True))
    assert _fill(head["value"]) == workbooks.INPUT_COLOUR
    assert _fill(head["period_id"]) == workbooks.HEADER_COLOUR


def test_targets_and_values_carry_their_units_number_format(world):
    ws = load_workbook(io.BytesIO(_template(world, "en"))).worksheets[0]
    header, rows = _rows_by_code(ws)
    revenue = rows["sales_revenue"]
    target = revenue[header.index("target")]
    assert target.value == pytest.approx(1666666.666667)
    assert target.number_format == "#,##0.00"  # shown 1,666,666.67, not 1666666.666667
    assert revenue[header.index("value")].number_format == "#,##0.00"
    assert revenue[header.index("unit")].value == "currency"  # the unit's label
    assert rows["new_customers"][header.index("target")].number_format == "#,##0"
    assert rows["customer_satisfaction"][header.index("value")].number_format == "#,##0.0#"
    assert revenue[header.index("note")].number_format == "@"


def test_value_cells_have_a_decimal_data_validation(world):
    ws = load_workbook(io.BytesIO(_template(world, "en"))).worksheets[0]
    header, rows = _rows_by_code(ws)
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "decimal" and validation.allow_blank
    column = chr(ord("A") + header.index("value"))
    assert str(validation.sqref) == f"{column}2:{column}{len(rows) + 1}"


@pytest.mark.parametrize(
    ("written_in", "read_in"),
    [("zh-hans", "en"), ("en", "zh-hans"), ("zh-hans", "zh-hans"), ("en", "en")],
)
def test_round_trip_whatever_the_language(world, written_in, read_in):
    wb = load_workbook(io.BytesIO(_template(world, written_in)))
    ws = wb.worksheets[0]
    header, rows = _rows_by_code(ws)
    rows["new_customers"][header.index("value")].value = 42
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    with translation.override(read_in):
        read = spreadsheets.read_rows(out, "a.xlsx")
        result = spreadsheets.import_rows(
            org=world["org"],
            by=world["admin"],
            membership=_membership(world["org"], world["admin"]),
            rows=read,
        )
    assert result.created == 1
    assert [r.value for r in read if r.value is not None] == [42]


def test_headers_are_recognised_in_any_language_case_and_spacing():
    assert entry_headers.column_for("value") == "value"
    assert entry_headers.column_for(" VALUE ") == "value"
    assert entry_headers.column_for("数值") == "value"
    assert entry_headers.column_for("\ufeffKPI  id") == "kpi_id"
    assert entry_headers.column_for("KPI 编号") == "kpi_id"
    assert entry_headers.column_for("版本") == "version"
    assert entry_headers.column_for("something else") is None
    assert entry_headers.column_for(3) is None
    assert {"entries", "Entries", "填报"} <= entry_headers.data_sheet_names()
