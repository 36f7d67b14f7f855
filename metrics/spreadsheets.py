"""The Excel and CSV round trip of actuals (SPEC §5, manager screens).

Download the entry grid of a period as .xlsx or .csv (one row per typed KPI of each
department), fill it offline, upload it. Reading is python-calamine (or the csv module) with
no database access; the rows then go through the one write
path, `actuals_save`, in a single call: every row is checked, nothing is saved unless all
are valid, and each bad row comes back with its row number, column and reason.

Only `kpi_id`, `period_id`, `value`, `note` and `version` are read back; the other columns
are there for the person filling the file in. openpyxl writes the files; uploads are read
with python-calamine once the zip container is checked here and the sheet's XML streamed by
`metrics.workbook_scan` (DOCTYPEs, rows, grid size, formula cells). An upload of more than
PERFHUB_UPLOAD_INLINE_ROWS rows is imported in the background (metrics.services.uploads).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from departments.permissions import can_enter_actuals

from . import entry_headers, selectors, workbook_scan
from . import workbooks as wbk
from .models import PeriodKind, Unit
from .services.actuals import ActualInput, ActualsRefused, SaveResult, actuals_save
from .values import MAX_DECIMAL_PLACES

log = logging.getLogger(__name__)

COLUMNS = (
    "period_id",
    "period",
    "department_code",
    "department",
    "kpi_id",
    "indicator_code",
    "indicator",
    "unit",
    "target",
    "value",
    "note",
    "version",
)
# The columns an upload is read from; the others only help the person filling the file in.
REQUIRED = ("period_id", "kpi_id", "value", "note", "version")
EDITABLE = ("value", "note")
# The sheet name of files written before it was translated; reading accepts every name of
# entry_headers.data_sheet_names().
DATA_SHEET = entry_headers.LEGACY_SHEET
# Sheet titles cannot contain "/" (nor \ ? * [ ] :).
HELP_SHEET = "说明 Instructions"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

MAX_ROWS = 200_000
# Excel's own limit: a sheet with rows beyond it is not a spreadsheet someone filled in.
MAX_SHEET_ROWS = 1_048_576
# The sum of the zip members' declared sizes. zipfile never inflates a member beyond its
# declared size, so this bounds what openpyxl can be made to decompress (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# The cells of the dense grid python-calamine builds from the sheet's highest row and
# column (about 40 bytes each, more once in Python): the largest upload in the download's
# 12 columns, and room for a few more.
MAX_GRID_CELLS = (MAX_ROWS + 1) * 20

_FIELD_COLUMNS = {"kpi": "kpi_id", "period": "period_id", "value": "value", "note": "note"}
_ILLEGAL_XML_CHARS = re.compile(r"[\000-\010\013\014\016-\037]")
# Text starting with these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Quoted in CSV downloads: those, and text that starts with the quote itself (so that
# removing one quote on upload gives back exactly what was downloaded).
_QUOTED = (*_FORMULA_TRIGGERS, "'")
_WHOLE = re.compile(r"^\d+(\.0*)?$")


class SpreadsheetRefused(Exception):
    """The file (or the download) is refused as a whole; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class RawRow:
    """One non-blank data row as read from the file (cells untouched, except text stripped
    of CSV-injection quoting). `number` is the row number the user sees (header = row 1)."""

    number: int
    kpi_id: object
    period_id: object
    value: object
    note: object
    version: object
    formula_columns: tuple[str, ...] = ()


@dataclass(frozen=True, order=True, slots=True)
class RowError:
    """A reason a row was refused; row 0 is the file as a whole."""

    row: int
    order: int
    column: str
    message: str


class ImportRefused(Exception):
    """Nothing was saved; `rows` lists every problem, sorted by row number."""

    def __init__(self, rows: list[RowError]):
        super().__init__(f"{len(rows)} problem(s)")
        self.rows = rows


# --- download -----------------------------------------------------------------------------


def period_key(period) -> str:
    """A stable, ASCII name for a period in file names: 2026-03, fy2026-q1, fy2026."""
    if period.kind == PeriodKind.MONTH:
        return period.start.isoformat()[:7]
    if period.kind == PeriodKind.QUARTER:
        return f"fy{period.fiscal_year}-q{period.number}"
    return f"fy{period.fiscal_year}"


def entry_rows(*, org, period, department_ids) -> list[tuple]:
    """The rows of the download, in COLUMNS order: every active KPI entered per this
    period's kind in the departments, except formula and feedback-computed KPIs, whose
    values PerfHub computes and an upload could not change. Refused for a locked period."""
    if period.is_locked:
        raise SpreadsheetRefused(
            _(
                "%(period)s is locked: its actuals cannot change, so there is nothing to fill "
                "in (HR can reopen it)."
            )
            % {"period": period.label}
        )
    label = str(period.label)  # 2026-03, FY2026 Q1, FY2026
    rows = []
    for grid in selectors.entry_grids(org=org, period=period, department_ids=department_ids):
        department = grid.department
        for row in grid.rows:
            if not row.typed:
                continue
            kpi, actual = row.kpi, row.actual
            rows.append(
                (
                    period.pk,
                    label,
                    department.code,  # type: ignore[attr-defined]  # EntryGrid.department: object
                    department.display_name,  # type: ignore[attr-defined]
                    kpi.pk,
                    kpi.indicator.code,
                    kpi.indicator.display_name,
                    kpi.indicator.unit,
                    row.target,
                    actual.value if actual else None,
                    actual.note if actual else "",
                    actual.version if actual else 0,
                )
            )
    return rows


def workbook_for(*, org, period, department_ids) -> bytes:
    """The entry grid of a period as an .xlsx (see entry_rows)."""
    rows = entry_rows(org=org, period=period, department_ids=department_ids)
    return workbook_bytes(rows, title=f"{org.name} · {period.label}")


def csv_for(*, org, period, department_ids) -> bytes:
    """The entry grid of a period as CSV, UTF-8 with a byte-order mark (so Excel opens it
    as UTF-8), same columns as the .xlsx."""
    rows = entry_rows(org=org, period=period, department_ids=department_ids)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def workbook_bytes(rows: Iterable[tuple], *, title: str = "") -> bytes:
    """An .xlsx with the header row, `rows` (in COLUMNS order) and the instructions sheet,
    headers and sheet name in the active language (entry_headers). The reference columns
    are grey and locked (the sheet is protected without a password: a guard, not a lock),
    the value and note columns highlighted and open; values and targets carry their unit's
    number format, value cells a decimal data validation; the header row is frozen.
    Numbers are written as numbers, except a value a spreadsheet's double cannot hold
    exactly (more than ~15 significant digits), written as text so it comes back unchanged."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(entry_headers.sheet_title())
    ws.freeze_panes = "A2"
    widths = {"department": 18, "indicator": 28, "note": 40, "period": 10, "unit": 10}
    for n, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = widths.get(name, 14)
    header = []
    for name, label in zip(COLUMNS, entry_headers.labels(COLUMNS), strict=True):
        cell = WriteOnlyCell(ws, value=label)
        cell.font = wbk.HEADER_FONT
        cell.fill = wbk.INPUT_FILL if name in EDITABLE else wbk.HEADER_FILL
        cell.border = wbk.THIN_BOTTOM
        header.append(cell)
    ws.append(header)
    count = 0
    styles: dict = {}
    for row in rows:
        ws.append(_template_row(ws, row, styles))
        count += 1
    _protect(ws, count)
    _write_instructions(wb.create_sheet(HELP_SHEET), title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_UNIT_AT, _TARGET_AT = COLUMNS.index("unit"), COLUMNS.index("target")
_OPEN = Protection(locked=False)


def _template_row(ws, row: tuple, styles: dict) -> list[Cell]:
    """The cells of one data row, styled. A style is worked out once per column and
    format and copied to the next cells (`styles`): setting fills one cell at a time makes
    openpyxl hash them again for every cell, three times slower on a large file."""
    unit = row[_UNIT_AT]
    shown = wbk.unit_format(unit)
    cells = []
    for name, value in zip(COLUMNS, row, strict=True):
        if name == "unit" and unit:
            value = str(Unit(unit).label) if unit in Unit.values else unit
        written = _xlsx_cell(ws, value)
        cell = written if isinstance(written, Cell) else WriteOnlyCell(ws, value=written)
        number_format = None
        if name in ("value", "target") and cell.data_type != "s":
            number_format = shown
        elif name == "note":
            number_format = wbk.TEXT
        key = (name, number_format)
        style = styles.get(key)
        if style is None:
            if name in EDITABLE:
                cell.fill = wbk.INPUT_FILL
                cell.protection = _OPEN
            else:
                cell.fill = wbk.REFERENCE_FILL
            if number_format:
                cell.number_format = number_format
            styles[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        cells.append(cell)
    return cells


def _protect(ws, count: int) -> None:
    """Lock the sheet (no password) so only the value and note cells take typing; sorting,
    filtering and resizing stay allowed. Value cells take a number (a warning, not a
    refusal: "120万" is still read on upload)."""
    protection = ws.protection
    protection.sheet = True
    protection.formatColumns = protection.formatRows = False
    protection.sort = protection.autoFilter = False
    if not count:
        return
    column = get_column_letter(COLUMNS.index("value") + 1)
    validation = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+15",
        formula2="1E+15",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=_("Not a number"),
        error=_("Type a number, such as 1234.5."),
        showInputMessage=False,
    )
    validation.add(f"{column}2:{column}{count + 1}")
    ws.data_validations.append(validation)


def _xlsx_cell(ws, value):
    if isinstance(value, Decimal):
        number = _number(value)
        if isinstance(number, Decimal):  # not representable as a double: keep it exact
            return _text_cell(ws, format(number, "f"))
        return number
    if isinstance(value, str):
        value = _ILLEGAL_XML_CHARS.sub("", value)
        if value.startswith("="):
            return _text_cell(ws, value)  # text, never a formula
    return value


def _text_cell(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    return cell


def _stored(value: Decimal) -> Decimal:
    """At most the 6 decimals a value is stored with (a scaled target may have more)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        return value.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES))
    return value


def _number(value: Decimal):
    """int for whole numbers, float when the double holds the value exactly, else the Decimal."""
    value = _stored(value)
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return as_float
    return value.normalize()


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(_stored(value).normalize(), "f")
    if isinstance(value, str) and value.startswith(_QUOTED):
        return "'" + value  # shown as text; the quote is removed again on upload
    return value


_INSTRUCTIONS = (
    (
        "每行是一个部门的一个指标在一个期间的实际值。只填写黄色的“数值”和“备注”两列；"
        "灰色列已锁定（工作表保护，无密码）。",
        "Each row is one KPI of one department in one period. Fill in only the yellow Value "
        "and Note columns; the grey columns are locked (sheet protection, no password).",
    ),
    (
        "不要修改“期间编号”“KPI 编号”和“版本”列；其他灰色列仅供参考，上传时不读取。"
        "中文或英文表头的文件都可以上传。",
        "Do not change Period id, KPI id and Version; the other grey columns are for "
        "reference and are not read on upload. Files with Chinese or English headers can "
        "both be uploaded.",
    ),
    (
        "“数值”为空的行会被跳过（不会删除已有的值）。",
        "Rows whose Value is empty are skipped (an existing value is not removed).",
    ),
    (
        "数值请用小数点（1.5，而不是 1,5）；百分比填百分数（如 92.5）；"
        "人数、次数为非负整数。请直接填写数字，不要使用公式。",
        "Use a decimal point (1.5, not 1,5); percentages are numbers of percent "
        "(e.g. 92.5); counts are whole numbers, never negative. Type numbers, not formulas.",
    ),
    (
        "得分低于黄线（红色）的数值必须在“备注”中说明原因和措施。",
        "A value that scores below the amber line (red) needs a Note saying what happened "
        "and what is being done.",
    ),
    (
        "公式指标（如员工流失率）和由反馈计算的指标不在此表中：它们由系统根据组成指标计算。",
        "Formula KPIs (such as staff turnover) and KPIs computed from feedback are not in "
        "this file: PerfHub computes them from their components.",
    ),
    (
        "上传时逐行检查：只要有一行有误，就不会保存任何数据，页面会列出每个错误行及原因。",
        "On upload every row is checked: if any row is wrong nothing is saved, and the page "
        "lists each bad row with its reason.",
    ),
    (
        "“版本”列记录下载时的版本。如果下载后有人修改了某个值，该行会被拒绝：请重新下载。",
        "The Version column is the version you downloaded. If someone changed a value since, "
        "that row is refused: download the file again.",
    ),
    (
        "已锁定期间的数值不能修改。也可以上传相同列的 CSV 文件（UTF-8 或 GB18030 编码）。",
        "Values of a locked period cannot change. A CSV file with the same columns (UTF-8 or "
        "GB18030) can be uploaded too.",
    ),
)

_COLUMN_HELP = {
    "period_id": ("系统用，不要修改", "used by PerfHub, do not change"),
    "period": ("期间", "the period"),
    "department_code": ("部门代码", "the department's code"),
    "department": ("部门", "the department"),
    "kpi_id": ("系统用，不要修改", "used by PerfHub, do not change"),
    "indicator_code": ("指标代码", "the indicator's code"),
    "indicator": ("指标", "the indicator"),
    "unit": ("单位", "the unit"),
    "target": ("本期目标", "the target for this period"),
    "value": ("实际值（填写）", "the actual value (fill in)"),
    "note": ("说明（需要时填写）", "a note (fill in when needed)"),
    "version": ("下载时的版本，系统用", "the version when downloaded, used by PerfHub"),
}


def _write_instructions(ws, title: str) -> None:
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["B"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    heading = WriteOnlyCell(ws, value="说明")
    heading.font = Font(bold=True, size=14)
    heading_en = WriteOnlyCell(ws, value="Instructions")
    heading_en.font = Font(bold=True, size=14)
    ws.append([heading, heading_en])
    if title:
        ws.append([_text_cell(ws, title)])
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    ws.append([f"下载时间：{stamp}", f"Downloaded at {stamp}"])
    ws.append([])
    for zh, en in _INSTRUCTIONS:
        a, b = WriteOnlyCell(ws, value=zh), WriteOnlyCell(ws, value=en)
        a.alignment = b.alignment = wrap
        ws.append([a, b])
    ws.append([])
    ws.append(["列", "Columns"])
    with translation.override("zh-hans"):
        zh_labels = entry_headers.labels(COLUMNS)
    with translation.override("en"):
        en_labels = entry_headers.labels(COLUMNS)
    for name, zh_label, en_label in zip(COLUMNS, zh_labels, en_labels, strict=True):
        zh, en = _COLUMN_HELP[name]
        ws.append([f"{zh_label}: {zh}", f"{en_label}: {en}"])


# --- upload: reading ------------------------------------------------------------------------


def read_rows(uploaded_file, filename: str) -> list[RawRow]:
    """The non-blank data rows of an uploaded .xlsx or .csv, or SpreadsheetRefused saying
    why the file as a whole cannot be read (type, size, row count, missing columns, a
    damaged or hostile file). Reads nothing from the database."""
    if upload_kind(uploaded_file, filename) == "csv":
        return _read_csv(uploaded_file)
    return _read_xlsx(uploaded_file)


def upload_kind(uploaded_file, filename: str) -> str:
    """ "xlsx" or "csv" for an upload PerfHub reads (by its extension, within
    PERFHUB_MAX_UPLOAD_BYTES), else SpreadsheetRefused. The file is rewound. Every upload
    of a spreadsheet (actuals, the org chart) starts here."""
    name = (filename or "").strip().lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if extension in {"xls", "xlsm", "xlsb", "ods", "numbers", "et"}:
        raise SpreadsheetRefused(
            _("Save the file as an Excel workbook (.xlsx) or as CSV, then upload it again.")
        )
    if extension not in {"xlsx", "csv"}:
        raise SpreadsheetRefused(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    if _size(uploaded_file) > settings.PERFHUB_MAX_UPLOAD_BYTES:
        raise SpreadsheetRefused(too_large_message())
    uploaded_file.seek(0)
    return extension


def too_large_message() -> str:
    return _("The file is too large: at most %(mb)s MB.") % {
        "mb": megabytes(settings.PERFHUB_MAX_UPLOAD_BYTES)
    }


def _size(f) -> int:
    size = getattr(f, "size", None)
    if size is not None:
        return size
    f.seek(0, io.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def _not_xlsx() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _(
            "This is not a valid Excel workbook (.xlsx): the file is damaged or of another "
            "type. If it is password-protected, remove the password and save it again."
        )
    )


@dataclass(slots=True)
class SheetGrid:
    """One worksheet as python-calamine reads it: `rows` from A1 (an empty cell is "",
    every row as wide as the widest), `formulas` the (row, column) from 1 of every formula
    cell, whose cached value calamine returned in its place."""

    name: str
    rows: list[list]
    formulas: set[tuple[int, int]]


def read_xlsx_sheets(f, *, pick, max_rows: int, max_grid_cells: int) -> list[SheetGrid]:
    """The worksheets `pick(names)` chooses (from the names in the workbook's order; it
    may raise SpreadsheetRefused) read with python-calamine, once metrics.workbook_scan has
    streamed their XML: a file calamine would trust to its cost (size unpacked, rows, a
    sparse giant grid, entity declarations, a formula without a position) is refused
    before it is parsed. The one reader of uploaded workbooks (actuals, the org chart)."""
    try:
        with zipfile.ZipFile(f) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
                raise SpreadsheetRefused(
                    _(
                        "The workbook unpacks to more than %(mb)s MB: it is too large to be "
                        "a sheet filled in by hand. Upload the downloaded template filled in, "
                        "or save the sheet as CSV."
                    )
                    % {"mb": megabytes(MAX_UNCOMPRESSED_BYTES)}
                )
            if "xl/workbook.xml" not in {m.filename for m in members}:
                raise _not_xlsx()
            sheets = workbook_scan.sheets(archive)
            if not sheets:
                raise workbook_scan.Unreadable
            members_by_name = dict(sheets)
            chosen = pick([n for n, _m in sheets])
            scans = {
                name: workbook_scan.scan_sheet(
                    archive, members_by_name[name], max_rows=max_rows + 1
                )
                for name in chosen
            }
            workbook_scan.refuse_doctypes(
                archive, skip=members_by_name[chosen[0]] if len(chosen) == 1 else ""
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _not_xlsx() from exc
    except (workbook_scan.Unreadable, workbook_scan.DoctypeFound) as exc:
        log.info("unreadable workbook: %r", exc)
        raise _not_xlsx() from exc
    except workbook_scan.TooManyRows as exc:
        raise _too_many_rows(max_rows) from exc
    for name, scan in scans.items():
        if scan.last_row > MAX_SHEET_ROWS or scan.grid_cells > max_grid_cells:
            raise SpreadsheetRefused(
                _(
                    "The sheet “%(sheet)s” reaches row %(rows)s and column %(columns)s: "
                    "delete the cells outside the table (or save the sheet as CSV) and upload "
                    "it again."
                )
                % {
                    "sheet": name,
                    "rows": f"{scan.last_row:,}",
                    "columns": max(scan.last_column, 1),
                }
            )
        if scan.formula_without_reference:
            raise SpreadsheetRefused(formula_message())
    f.seek(0)
    grids = []
    try:
        workbook = CalamineWorkbook.from_filelike(f)
        try:
            for name, scan in scans.items():
                rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                grids.append(SheetGrid(name, rows, scan.formulas))
        finally:
            workbook.close()
    except Exception as exc:  # calamine raises several kinds on a broken file
        log.info("unreadable worksheet: %r", exc)
        raise _not_xlsx() from exc
    return grids


def _read_xlsx(f) -> list[RawRow]:
    """The data sheet (one of entry_headers.data_sheet_names(), else the first sheet)."""
    data_sheets = entry_headers.data_sheet_names()

    def pick(names: list[str]) -> list[str]:
        return [next((n for n in names if n in data_sheets), names[0])]

    (sheet,) = read_xlsx_sheets(f, pick=pick, max_rows=MAX_ROWS, max_grid_cells=MAX_GRID_CELLS)
    return _rows_from_grid(sheet.rows, sheet.formulas)


def formula_message() -> str:
    return _("This cell holds a formula: type the value itself (or paste values only).")


def _header_positions(header) -> tuple[int, ...]:
    names: dict[str, int] = {}
    for n, raw in enumerate(header):
        # A header in any language, or the code name (entry_headers.column_for).
        if (column := entry_headers.column_for(raw)) is not None:
            names.setdefault(column, n)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise SpreadsheetRefused(
            ngettext(
                "The header row (row 1) lacks the column %(missing)s. Start from a "
                "downloaded file and keep its first row as it is.",
                "The header row (row 1) lacks the columns %(missing)s. Start from a "
                "downloaded file and keep its first row as it is.",
                len(missing),
            )
            % {"missing": ", ".join(f"“{entry_headers.LABELS[c]}”" for c in missing)}
        )
    return tuple(names[c] for c in REQUIRED)  # period_id, kpi_id, value, note, version


def _rows_from_grid(grid: list[list], formulas: set[tuple[int, int]]) -> list[RawRow]:
    """The data rows of calamine's grid (from A1; an empty cell is ""), with the REQUIRED
    columns of each row that hold a formula (`formulas`: (row, column) from 1)."""
    if not grid or all(v == "" for v in grid[0]):
        raise SpreadsheetRefused(_("The sheet is empty."))
    positions = _header_positions(grid[0])
    i_period, i_kpi, i_value, i_note, i_version = positions
    rows: list[RawRow] = []
    append = rows.append
    # Every row of the grid is as wide as the header row's.
    for number, cells in enumerate(grid[1:], start=2):
        formula_columns = (
            tuple(
                name
                for name, i in zip(REQUIRED, positions, strict=True)
                if (number, i + 1) in formulas
            )
            if formulas
            else ()
        )
        if not formula_columns and all(
            (v := cells[i]) == "" or (type(v) is str and not v.strip()) for i in positions
        ):
            continue
        append(
            RawRow(
                number,
                _cell(cells[i_kpi]),
                _cell(cells[i_period]),
                _cell(cells[i_value]),
                _cell(cells[i_note]),
                _cell(cells[i_version]),
                formula_columns,
            )
        )
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
    return rows


def _cell(value):
    """calamine's empty cell as openpyxl's (None); whole numbers, which calamine returns as
    floats, as int (an id, a version, a count)."""
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _too_many_rows(limit: int | None = None) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("The file has more than %(n)s rows: split it into several files.")
        % {"n": f"{MAX_ROWS if limit is None else limit:,}"}
    )


def csv_text(f) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without a byte-order mark), else
    GB18030 (a superset of GBK, what Chinese Excel saves); SpreadsheetRefused for UTF-16
    or binary content and for neither encoding."""
    data = f.read()
    if isinstance(data, str):
        return data
    if b"\x00" in data:
        raise SpreadsheetRefused(
            _(
                "This is not a CSV text file (it may be UTF-16 “Unicode text” or a binary "
                "file). Save it as “CSV UTF-8” and upload it again."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Chinese Excel saves CSV in the system code page (GBK, a subset of GB18030).
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise SpreadsheetRefused(
                _("The CSV file is neither UTF-8 nor GB18030 text: save it as “CSV UTF-8”.")
            ) from exc


def csv_delimiter(text: str) -> str:
    """The delimiter of the header line: a comma, else a semicolon (Excel in locales with a
    decimal comma), else a tab."""
    first_line = text.split("\n", 1)[0]
    if "," in first_line:
        return ","
    return ";" if ";" in first_line else ("\t" if "\t" in first_line else ",")


def _read_csv(f) -> list[RawRow]:
    text = csv_text(f)
    delimiter = csv_delimiter(text)
    # strict: an unclosed quote is an error, not a field that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SpreadsheetRefused(_("The file is empty."))
        positions = _header_positions(header)
        rows: list[RawRow] = []
        # Row numbers as a spreadsheet program shows the file (a note may span lines).
        for number, line in enumerate(reader, start=2):
            values = [line[i].strip() if i < len(line) else "" for i in positions]
            if not any(values):
                continue
            period_id, kpi_id, value, note, version = values
            rows.append(RawRow(number, kpi_id, period_id, value, _csv_text(note), version))
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
    except csv.Error as exc:
        raise SpreadsheetRefused(
            _("The CSV file cannot be read near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return rows


def _csv_text(text: str) -> str:
    """Undo the quote the download puts before text a spreadsheet would run as a formula."""
    if text[:1] == "'" and text[1:].startswith(_QUOTED):
        return text[1:]
    return text


# --- upload: saving -------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _whole_number(raw) -> int | None:
    """An id or version cell as an int; None when blank; ValueError otherwise."""
    if raw is None:
        return None
    if type(raw) is int:
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        if text.isascii() and _WHOLE.match(text):
            return int(text.split(".")[0])
    raise ValueError(raw)


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _note(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def import_rows(*, org, by, membership, rows: Iterable[RawRow]) -> SaveResult:
    """Save the rows of an upload through actuals_save in one call (source "import"), all
    or nothing. Rows whose value is blank are skipped; a row the member may not enter (a
    department a manager does not manage) is a row error. Raises ImportRefused listing
    every problem by row number; nothing is saved then."""
    problems: list[RowError] = []
    entries: list[ActualInput] = []
    numbers: dict[str, int] = {}
    order = {name: n for n, name in enumerate(COLUMNS)}

    def refuse(number: int, column: str, message: str) -> None:
        problems.append(RowError(number, order.get(column, len(order)), column, str(message)))

    for row in rows:
        if row.formula_columns:
            for column in row.formula_columns:
                refuse(row.number, column, formula_message())
            continue
        if _blank(row.value):
            continue
        ids = {}
        for column, raw in (("kpi_id", row.kpi_id), ("period_id", row.period_id)):
            try:
                ids[column] = _whole_number(raw)
            except ValueError:
                refuse(row.number, column, _("“%(value)s” is not an id.") % {"value": raw})
                continue
            if ids[column] is None:
                refuse(row.number, column, _("This column must not be empty."))
        try:
            version = _whole_number(row.version)
        except ValueError:
            refuse(
                row.number,
                "version",
                _("“%(value)s” is not a version number.") % {"value": row.version},
            )
            continue
        kpi_id, period_id = ids.get("kpi_id"), ids.get("period_id")
        if kpi_id is None or period_id is None:
            continue
        ref = f"row {row.number}"
        numbers[ref] = row.number
        entries.append(
            ActualInput(
                kpi_id=kpi_id,
                period_id=period_id,
                value=row.value,
                note=_note(row.note),
                version=version,
                ref=ref,
            )
        )

    result = SaveResult()
    try:
        # Rows refused here are still checked by the service, so the page lists every
        # problem at once; the savepoint is rolled back whenever anything was refused.
        with transaction.atomic():
            result = actuals_save(
                org=org,
                by=by,
                source="import",
                entries=entries,
                can_enter=lambda department: can_enter_actuals(membership, department),
                forbidden_as_errors=True,
            )
            if problems:
                raise _Rollback
    except _Rollback:
        pass
    except ActualsRefused as exc:
        for ref, fields in exc.errors.items():
            number = numbers.get(ref, 0)
            for field_name, messages in fields.items():
                for message in messages:
                    refuse(number, _FIELD_COLUMNS.get(field_name, field_name), message)
        for conflict in exc.conflicts:
            refuse(
                numbers.get(conflict.ref, 0),
                "value",
                _(
                    "Changed by %(by)s at %(at)s to %(value)s since you downloaded this file; "
                    "download it again."
                )
                % {
                    "by": conflict.by or _("someone"),
                    "at": conflict.at,
                    "value": format(conflict.their_value.normalize(), "f"),
                },
            )
    if problems:
        raise ImportRefused(sorted(problems))
    return result
