"""What an uploaded .xlsx holds, found by streaming its XML before any reader parses it.

python-calamine (the reader of uploads, `metrics.spreadsheets`) is fast because it trusts
the file: it builds one dense grid from the cells' references (a sheet with two cells, A1
and ZZ200000, costs it 140 million cells and gigabytes of memory) and it returns the value
a formula cell last showed, never the formula. So the sheet's XML is streamed here first,
with no parser and in bounded memory, and the upload is refused on what it finds: more
rows than allowed, a grid too large for its rows, a DOCTYPE (entity expansion), and every
formula cell by its row and column. The streaming costs about as much as inflating the
sheet once. No Django here: pure functions over a zipfile.ZipFile.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeElementTree

_CHUNK = 1 << 20
_TAIL = 1 << 16  # where the last row or cell of a block is looked for first
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
# A row element with its reference when it has one: <row r="2" ...>, <x:row>.
_ROW = re.compile(rb"<" + _PREFIX + rb'row[\s>/](?:[^>]*?\br="(\d{1,9})")?')
# A cell with its reference (column letters, row) and whether a formula element follows
# (a cell's children are, in order: f, v, is).
_CELL = re.compile(
    rb"<"
    + _PREFIX
    + rb'c\b(?:[^>]*?\br="([A-Za-z]{1,4})(\d{1,9})")?[^>]*>(\s*<'
    + _PREFIX
    + rb"f[\s>/])?"
)
# Where a block may be cut without splitting a row or a cell from its formula.
_BOUNDARY = re.compile(rb"<" + _PREFIX + rb"(?:c|row)[\s>/]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
# The same, for a block whose elements carry no namespace prefix (what every spreadsheet
# program writes): patterns that start with a literal, which the regex engine finds fast.
_ROW_PLAIN = re.compile(rb'<row[\s>/](?:[^>]*?\br="(\d{1,9})")?')
_CELL_TAG_PLAIN = re.compile(rb"<c[\s>/]")
_REFERENCE_LETTERS = re.compile(rb' r="([A-Za-z]{1,4})\d{1,9}"')
# (Leading zeros are left out of the number, so that the longest number is the largest.)
_REFERENCE_ROW = re.compile(rb' r="[A-Za-z]{1,4}0*(\d{1,9})"')
_FORMULA_PLAIN = re.compile(rb"<f[\s>/]")
_CELL_REFERENCE = re.compile(rb'<c\s[^>]*?\br="([A-Za-z]{1,4})(\d{1,9})"')
_PREFIXED = (b":c", b":row", b":f")
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Unreadable(Exception):
    """The workbook's structure is not that of an .xlsx."""


class DoctypeFound(Exception):
    """A part of the workbook declares a DOCTYPE (entity expansion, external entities)."""


class TooManyRows(Exception):
    """The sheet has more row elements than allowed (counting stopped there)."""


@dataclass(slots=True)
class SheetScan:
    """What the sheet's XML holds. Rows and columns count from 1."""

    rows: int = 0
    last_row: int = 0
    last_column: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)
    # Cells without a reference are placed one after the other: their count bounds the
    # width they can give a row. A formula among them has no position known here.
    unreferenced_cells: int = 0
    formula_without_reference: bool = False

    @property
    def grid_cells(self) -> int:
        """The cells of the dense grid a reader builds for this sheet, at most."""
        return self.last_row * max(self.last_column, self.unreferenced_cells)


def column_number(letters: bytes) -> int:
    n = 0
    for byte in letters.upper():
        n = n * 26 + byte - 64
    return n


def sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, member path) of every worksheet, in the workbook's order (the order
    python-calamine lists them in), from xl/workbook.xml and its relationships."""
    try:
        workbook = SafeElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = SafeElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError as exc:
        raise Unreadable from exc
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        if "Forbidden" in type(exc).__name__:
            raise DoctypeFound from exc
        raise Unreadable from exc
    targets = {}
    for relation in relations.iter(f"{_NS_PKG_REL}Relationship"):
        target = relation.get("Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[relation.get("Id")] = posixpath.normpath(path)
    found = []
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        path = targets.get(sheet.get(f"{_NS_REL}id"))
        if path and path.startswith("xl/worksheets/"):
            found.append((sheet.get("name") or "", path))
    return found


def refuse_doctypes(archive: zipfile.ZipFile, *, skip: str = "") -> None:
    """Raise DoctypeFound when any XML part (but `skip`, scanned with the sheet) declares
    one. The readers do not expand entities; a file that declares them is hostile."""
    for member in archive.infolist():
        name = member.filename
        if name == skip or not name.endswith((".xml", ".rels")):
            continue
        with archive.open(member) as stream:
            tail = b""
            while chunk := stream.read(_CHUNK):
                if _DOCTYPE.search(tail + chunk):
                    raise DoctypeFound
                tail = chunk[-16:]


def scan_sheet(archive: zipfile.ZipFile, member: str, *, max_rows: int) -> SheetScan:
    """Stream the sheet's XML: count its rows (TooManyRows past `max_rows`), find the
    highest row and column referenced and every formula cell; DoctypeFound on a DOCTYPE."""
    scan = SheetScan()
    try:
        stream = archive.open(member)
    except KeyError as exc:
        raise Unreadable from exc
    with stream:
        tail = b""
        while chunk := stream.read(_CHUNK):
            block = tail + chunk
            cut = _last_boundary(block)
            _scan_block(scan, block[:cut], max_rows)
            tail = block[cut:]
        _scan_block(scan, tail, max_rows)
    return scan


def _last_boundary(block: bytes) -> int:
    """The start of the last row or cell in the block (kept for the next block, with what
    follows it), or, when there is none, a few bytes from the end (a tag cut in two).
    Looked for in the block's tail first: a cell is rarely longer than that."""
    for start in (max(0, len(block) - _TAIL), 0):
        last = None
        for last in _BOUNDARY.finditer(block, start):  # noqa: B007 (the last one is wanted)
            pass
        if last is not None:
            return last.start()
        if start == 0:
            break
    return max(0, len(block) - 64)


def _scan_block(scan: SheetScan, block: bytes, max_rows: int) -> None:
    if _DOCTYPE.search(block):
        raise DoctypeFound
    if any(p in block for p in _PREFIXED):
        _scan_prefixed(scan, block, max_rows)
        return
    _count_rows(scan, _ROW_PLAIN.findall(block), max_rows)
    # The column letters and the row numbers of the references, as two flat lists: (a
    # list of pairs, unzipped, cost more than the rest of the scan together).
    letters = _REFERENCE_LETTERS.findall(block)
    unreferenced = len(_CELL_TAG_PLAIN.findall(block)) - len(letters)
    if unreferenced > 0:
        scan.unreferenced_cells += unreferenced
    if letters:
        scan.last_column = max(scan.last_column, max(map(column_number, set(letters))))
        scan.last_row = max(scan.last_row, _largest_number(_REFERENCE_ROW.findall(block)))
    for formula in _FORMULA_PLAIN.finditer(block):
        start = block.rfind(b"<c", 0, formula.start())
        cell = _CELL_REFERENCE.match(block, start) if start >= 0 else None
        if cell is None or block.find(b">", start, formula.start()) < 0:
            scan.formula_without_reference = True
        else:
            scan.formulas.add((int(cell.group(2)), column_number(cell.group(1))))


def _largest_number(numbers: list[bytes]) -> int:
    """The largest of decimal numbers written without leading zeros, as bytes: the
    greatest of the longest, compared as bytes, without making an int of each."""
    longest = max(map(len, numbers))
    return int(max(n for n in numbers if len(n) == longest))


def _count_rows(scan: SheetScan, rows: list[bytes], max_rows: int) -> None:
    scan.rows += len(rows)
    if scan.rows > max_rows:
        raise TooManyRows
    numbered = [int(r) for r in rows if r]
    if numbered:
        scan.last_row = max(scan.last_row, max(numbered))
    scan.last_row = max(scan.last_row, scan.rows)  # rows without a reference follow on


def _scan_prefixed(scan: SheetScan, block: bytes, max_rows: int) -> None:
    """The general (slower) scan, for elements that may carry a namespace prefix."""
    _count_rows(scan, _ROW.findall(block), max_rows)
    cells = _CELL.findall(block)
    if not cells:
        return
    letters = {c[0] for c in cells}
    if b"" in letters:
        scan.unreferenced_cells += sum(1 for c in cells if not c[0])
        letters.discard(b"")
    if letters:
        scan.last_column = max(scan.last_column, max(column_number(c) for c in letters))
        scan.last_row = max(scan.last_row, max(int(c[1]) for c in cells if c[1]))
    for col, row, formula in cells:
        if not formula:
            continue
        if col:
            scan.formulas.add((int(row), column_number(col)))
        else:
            scan.formula_without_reference = True
