"""Reading an org-chart upload into plain rows (no database).

An .xlsx may hold a department sheet, a people sheet or both (PerfHub's template has both;
a contacts export has people only); a .csv holds one of them. Each sheet is recognised by
its header row (orgchart.columns). The workbook goes through the one reader of uploads,
`metrics.spreadsheets.read_xlsx_sheets` (size, zip bombs, rows, giant grids, DOCTYPEs,
formula cells), a CSV through `csv_text` (UTF-8 with or without a BOM, GBK/GB18030).

The result is JSON (stored with the upload until HR confirms): `departments` and `people`
as lists of dicts of text, and `errors`: what is wrong in a cell, before the rows are
compared with the organization (orgchart.plan)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils.translation import gettext as _

from metrics.spreadsheets import (
    SpreadsheetRefused,
    csv_delimiter,
    csv_text,
    formula_message,
    read_xlsx_sheets,
    upload_kind,
)

from . import columns

MAX_ROWS = 20_000  # people or departments in one sheet
MAX_COLUMNS = 40
MAX_TEXT = 300  # characters of one cell

DEPARTMENT_FIELDS = tuple(columns.DEPARTMENT_COLUMNS)
PEOPLE_FIELDS = (*columns.PEOPLE_COLUMNS, "given_name", "family_name", "is_head")


def error(sheet: str, row: int, column: str, message: str) -> dict:
    """A problem of a cell: the sheet, the row as the spreadsheet numbers it (the header
    is row 1; 0 for the file as a whole), the column (letter and header) and the reason."""
    return {"sheet": sheet, "row": row, "column": column, "message": str(message)}


def read_upload(uploaded_file, filename: str) -> dict:
    """The departments and people of an upload, with the problems of single cells; or
    SpreadsheetRefused when the file as a whole cannot be read or holds no sheet of
    either kind."""
    if upload_kind(uploaded_file, filename) == "csv":
        text = csv_text(uploaded_file)
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=csv_delimiter(text), strict=True
        )
        try:
            grid = list(reader)
        except csv.Error as exc:
            raise SpreadsheetRefused(
                _("The CSV file cannot be read near line %(line)s: %(error)s")
                % {"line": reader.line_num, "error": exc}
            ) from exc
        if len(grid) > MAX_ROWS + 1:
            raise _too_many()
        sheets: list[tuple[str, list, set]] = [("CSV", grid, set())]
    else:
        grids = read_xlsx_sheets(
            uploaded_file,
            pick=lambda names: names,
            max_rows=MAX_ROWS,
            max_grid_cells=(MAX_ROWS + 1) * MAX_COLUMNS,
        )
        sheets = [(g.name, g.rows, g.formulas) for g in grids]
    parsed: dict = {
        "departments": [],
        "people": [],
        "errors": [],
        "platform": None,
        "columns": {},
    }
    found = False
    for name, grid, formulas in sheets:
        rows = list(grid)
        if not rows:
            continue
        kind = columns.sheet_kind(rows[0])
        if kind is None:
            continue
        found = True
        _read_sheet(parsed, name, kind, rows, formulas)
    if not found:
        raise SpreadsheetRefused(
            _(
                "No sheet of departments or people found: the first row must hold the column "
                "headers, such as 部门代码/Department code or 姓名/Name. Start from the "
                "downloaded template or a DingTalk, WeCom or Feishu contacts export."
            )
        )
    return parsed


def _too_many() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        _("The file has more than %(n)s rows: split it into several files.")
        % {"n": f"{MAX_ROWS:,}"}
    )


def _read_sheet(parsed: dict, sheet: str, kind: str, rows: list, formulas) -> None:
    header = rows[0]
    found, platform = columns.positions(header, kind)
    if kind == "departments" and "code" not in found:
        parsed["errors"].append(
            error(
                sheet, 1, "", _("The department sheet needs a column “部门代码/Department code”.")
            )
        )
        return
    if kind == "people" and not ({"name", "given_name", "family_name"} & set(found)):
        parsed["errors"].append(
            error(sheet, 1, "", _("The people sheet needs a column “姓名/Name”."))
        )
        return
    if kind == "people" and platform:
        parsed["platform"] = platform
    fields = DEPARTMENT_FIELDS if kind == "departments" else PEOPLE_FIELDS
    target = parsed[kind]
    parsed["columns"][sheet] = {n: column_label(header, i) for n, i in found.items()}
    for number, cells in enumerate(rows[1:], start=2):
        record: dict = {"sheet": sheet, "row": number}
        blank = True
        for name in fields:
            index = found.get(name)
            if index is None:
                record[name] = ""
                continue
            label = column_label(header, index)
            if (number, index + 1) in formulas:
                parsed["errors"].append(
                    error(
                        sheet,
                        number,
                        label,
                        formula_message(),
                    )
                )
            value = text(cells[index] if index < len(cells) else "")
            if len(value) > MAX_TEXT:
                parsed["errors"].append(
                    error(sheet, number, label, _("At most %(n)s characters.") % {"n": MAX_TEXT})
                )
                value = value[:MAX_TEXT]
            record[name] = value
            blank = blank and not value
        if not blank:
            target.append(record)
            if len(target) > MAX_ROWS:
                raise _too_many()


def column_label(header, index: int) -> str:
    """ "C (邮箱)": the column's letter and its header, as the person sees them."""
    title = text(header[index]) if index < len(header) else ""
    return f"{columns.column_letter(index)} ({title})" if title else columns.column_letter(index)


def text(value) -> str:
    """A cell as text: a whole number without ".0" (a mobile number typed as a number), a
    date as ISO, text stripped (and the quote a CSV download puts before text starting with
    =, +, - or @ removed)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    out = " ".join(str(value).replace("\ufeff", "").split())
    if out[:1] == "'" and out[1:2] in ("=", "+", "-", "@"):
        out = out[1:]
    return out
