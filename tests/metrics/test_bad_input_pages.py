"""Bad input through the pages (SPEC §7): the entry grid and the spreadsheet upload. Every
case is answered with a page naming the cell or row and the reason, nothing is stored,
never a 500. Tables, so the number of bad inputs tried is plain (see test_case_count)."""

import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics import spreadsheets
from metrics.models import Actual

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, hr, sales_kpis, month):
    return {
        "org": org,
        "hr": hr,
        "month": month,
        "revenue": sales_kpis["sales_revenue"],  # currency
        "satisfaction": sales_kpis["customer_satisfaction"],  # percent
        "customers": sales_kpis["new_customers"],  # count
    }


# --- the entry grid ----------------------------------------------------------------------

# (id, KPI, value, note, reason shown beside the cell)
# fmt: off
GRID_CASES = [
    ("nan", "revenue", "NaN", "", "finite number"),
    ("nan-lower", "revenue", "nan", "", "finite number"),
    ("infinity", "revenue", "Infinity", "", "finite number"),
    ("minus-inf", "revenue", "-inf", "", "finite number"),
    ("1e309", "revenue", "1e309", "", "Too large"),
    ("decimal-comma", "revenue", "1,5", "", "“1,5” is ambiguous: write 1.5 with a point"),
    ("full-width-decimal-comma", "revenue", "１，５", "", "is ambiguous: write 1.5 with a point"),
    ("words", "revenue", "lots", "", "is not a number"),
    ("hex", "revenue", "0x1A", "", "is not a number"),
    ("true", "revenue", "true", "", "is not a number"),
    ("two-signs", "revenue", "--5", "", "is not a number"),
    ("trailing-sign", "revenue", "5-", "", "is not a number"),
    ("double-exponent", "revenue", "1e5e5", "", "is not a number"),
    ("nul-in-value", "revenue", "1\x002", "", "is not a number"),
    ("forty-digits", "revenue", "1" * 40, "", "Too large"),
    ("seven-decimals", "revenue", "1.1234567", "", "Too many decimals"),
    ("formula-text", "revenue", "=1+1", "", "is not a number"),
    ("dde-payload", "revenue", "=cmd|' /C calc'!A0", "", "is not a number"),
    ("percent-below-its-bound", "satisfaction", "-5", "", "Customer satisfaction must be between 0 and 100."),  # noqa: E501
    ("percent-above-its-bound", "satisfaction", "101", "", "Customer satisfaction must be between 0 and 100."),  # noqa: E501
    ("count-fraction", "customers", "1.5", "", "whole number"),
    ("count-negative", "customers", "-1", "", "New customers cannot be negative."),
    ("currency-sign-on-a-count", "customers", "¥5", "", "“¥” is a currency sign, but this value is in count"),  # noqa: E501
    ("percent-sign-on-an-amount", "revenue", "5%", "", "A “%” sign does not fit a value in currency"),  # noqa: E501
    ("two-multipliers", "revenue", "1亿2000万", "", "write 万 or 亿 once"),
    ("note-too-long", "revenue", "1700000", "x" * 2001, "At most 2000 characters"),
    ("note-with-nul", "revenue", "1700000", "bad\x00note", "invisible control"),
    ("red-without-note", "revenue", "10", "", "Add a note"),
]
# fmt: on


def _grid_post(world, kpi, value, note, version="0"):
    return {
        "period": world["month"].pk,
        f"v-{kpi.pk}": value,
        f"n-{kpi.pk}": note,
        f"ver-{kpi.pk}": version,
        f"o-{kpi.pk}": "",
    }


@pytest.mark.parametrize(
    "kpi,value,note,reason", [c[1:] for c in GRID_CASES], ids=[c[0] for c in GRID_CASES]
)
def test_entry_grid_refuses_bad_value_beside_its_cell(client, world, kpi, value, note, reason):
    client.force_login(world["hr"])
    url = f"/o/{world['org'].slug}/entries/?period={world['month'].pk}"
    response = client.post(url, _grid_post(world, world[kpi], value, note))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved: 1 value needs your attention" in page  # ngettext, not value(s)
    assert reason in page, reason
    assert not Actual.objects.for_org(world["org"]).exists()


@pytest.mark.parametrize(
    "query,post_period,version",
    [
        ("?period=²", None, "0"),  # a digit to str.isdigit(), not to int()
        ("?department=²", None, "0"),
        ("?department=99999999999999999999999", None, "0"),
        ("", "²", "0"),
        ("", "99999999999999999999999", "0"),
        ("", None, "²"),
        ("", None, "-1"),
        ("", None, "99999999999999999999999"),
    ],
)
def test_entry_grid_odd_parameters_are_not_server_errors(
    client, world, query, post_period, version
):
    client.force_login(world["hr"])
    url = f"/o/{world['org'].slug}/entries/{query}"
    assert client.get(url).status_code in {200, 404}
    data = _grid_post(world, world["revenue"], "1700000", "n", version=version)
    if post_period is not None:
        data["period"] = post_period
    assert client.post(url, data).status_code in {200, 302, 404}


# --- the upload ----------------------------------------------------------------------------


def _csv(world, value="1700000", note="n", kpi=None, version="0", period=None) -> bytes:
    kpi_id = world["revenue"].pk if kpi is None else kpi
    period_id = world["month"].pk if period is None else period
    row = [str(period_id), "", "", "", str(kpi_id), "", "", "", "", value, note, version]
    lines = [",".join(spreadsheets.COLUMNS), ",".join(row)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _xlsx(world, value="1700000", note="n") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spreadsheets.DATA_SHEET
    ws.append(list(spreadsheets.COLUMNS))
    ws.append([world["month"].pk, "", "", "", world["revenue"].pk, "", "", "", "", value, note, 0])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip_bomb(world) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(spreadsheets.MAX_UNCOMPRESSED_BYTES // len(zeros) + 1):
                member.write(zeros)
    return out.getvalue()


def million_rows_xlsx(rows=1_000_000) -> bytes:
    """A minimal workbook written straight as XML (openpyxl would take minutes)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(("period_id", "kpi_id", "value", "note", "version"))
    )
    body = "".join(
        f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><v>2</v></c><c r="C{r}"><v>3</v></c></row>'  # noqa: E501
        for r in range(2, rows + 2)
    )
    sheet = f'<?xml version="1.0"?><worksheet {ns}><sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>'  # noqa: E501
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'  # noqa: E501
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'  # noqa: E501
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'  # noqa: E501
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'  # noqa: E501
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'  # noqa: E501
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',  # noqa: E501
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="entries" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'  # noqa: E501
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',  # noqa: E501
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


# (id, file name, builder(world) -> bytes, text the page must show)
# fmt: off
UPLOAD_CASES = [
    ("pdf-named-xlsx", "a.xlsx", lambda w: b"%PDF-1.4 not a workbook", "not a valid Excel workbook"),  # noqa: E501
    ("html-named-xlsx", "a.xlsx", lambda w: b"<html><body>hi</body></html>", "not a valid Excel workbook"),  # noqa: E501
    ("text-zip-named-xlsx", "a.xlsx", lambda w: _zip_of({"a.txt": "hi"}), "not a valid Excel workbook"),  # noqa: E501
    ("truncated-xlsx", "a.xlsx", lambda w: _xlsx(w)[:2000], "not a valid Excel workbook"),
    ("empty-file", "a.xlsx", lambda w: b"", "The submitted file is empty"),
    ("zip-bomb", "bomb.xlsx", _zip_bomb, "unpacks to more than"),
    ("old-excel", "a.xls", lambda w: b"\xd0\xcf\x11\xe0", "Save the file as an Excel workbook"),
    ("executable", "a.exe", lambda w: b"MZ\x90\x00", "Upload an Excel workbook (.xlsx) or a CSV"),
    ("no-extension", "actuals", lambda w: _csv(w), "Upload an Excel workbook (.xlsx) or a CSV"),
    ("formula-value", "a.xlsx", lambda w: _xlsx(w, value="=1+1"), "holds a formula"),
    ("dde-formula-value", "a.xlsx", lambda w: _xlsx(w, value="=cmd|' /C calc'!A0"), "holds a formula"),  # noqa: E501
    ("dde-formula-note", "a.xlsx", lambda w: _xlsx(w, note="=cmd|' /C calc'!A0"), "holds a formula"),  # noqa: E501
    ("xlsx-nan-text", "a.xlsx", lambda w: _xlsx(w, value="NaN"), "finite number"),
    ("xlsx-decimal-comma", "a.xlsx", lambda w: _xlsx(w, value="1,5"), "is ambiguous: write 1.5 with a point"),  # noqa: E501
    ("csv-nul-bytes", "a.csv", lambda w: _csv(w).replace(b"n\r\n", b"\x00\r\n"), "not a CSV text file"),  # noqa: E501
    ("csv-utf16", "a.csv", lambda w: _csv(w).decode().encode("utf-16"), "not a CSV text file"),
    ("csv-nan", "a.csv", lambda w: _csv(w, value="NaN"), "finite number"),
    ("csv-infinity", "a.csv", lambda w: _csv(w, value="Infinity"), "finite number"),
    ("csv-1e309", "a.csv", lambda w: _csv(w, value="1e309"), "Too large"),
    ("csv-decimal-comma", "a.csv", lambda w: _csv(w, value='"1,5"'), "is ambiguous: write 1.5 with a point"),  # noqa: E501
    ("csv-words", "a.csv", lambda w: _csv(w, value="many"), "is not a number"),
    ("csv-bool", "a.csv", lambda w: _csv(w, value="TRUE"), "is not a number"),
    ("csv-kpi-text", "a.csv", lambda w: _csv(w, kpi="sales"), "is not an id"),
    ("csv-kpi-huge", "a.csv", lambda w: _csv(w, kpi="9" * 30), "Unknown KPI"),
    ("csv-kpi-empty", "a.csv", lambda w: _csv(w, kpi=""), "must not be empty"),
    ("csv-period-fraction", "a.csv", lambda w: _csv(w, period="3.5"), "is not an id"),
    ("csv-period-huge", "a.csv", lambda w: _csv(w, period="9" * 30), "Unknown period"),
    ("csv-version-text", "a.csv", lambda w: _csv(w, version="v1"), "is not a version number"),
    ("csv-note-too-long", "a.csv", lambda w: _csv(w, note="x" * 2001), "At most 2000"),
    ("csv-missing-columns", "a.csv", lambda w: b"period_id,value\r\n1,2\r\n", "lacks the column"),  # noqa: E501
    ("csv-header-only-bom", "a.csv", lambda w: b"\xef\xbb\xbf", "The file is empty"),
    ("csv-unbalanced-quote", "a.csv", lambda w: _csv(w, note='"open'), "cannot be read near line"),
    ("xlsx-no-header", "a.xlsx", lambda w: _xlsx_rows([[1, 2, 3]]), "lacks the column"),
]
# fmt: on


def _zip_of(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return out.getvalue()


def _xlsx_rows(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, world, name, data):
    client.force_login(world["hr"])
    return client.post(
        f"/o/{world['org'].slug}/entries/upload/",
        {"file": SimpleUploadedFile(name, data)},
    )


@pytest.mark.parametrize(
    "name,build,reason", [c[1:] for c in UPLOAD_CASES], ids=[c[0] for c in UPLOAD_CASES]
)
def test_upload_refuses_bad_file_with_its_reason(client, world, name, build, reason):
    response = _upload(client, world, name, build(world))
    assert response.status_code == 200
    assert reason in response.content.decode(), reason
    assert not Actual.objects.for_org(world["org"]).exists()


def test_million_row_sheet_is_refused_quickly(client, world):
    data = million_rows_xlsx()
    started = time.monotonic()
    response = _upload(client, world, "huge.xlsx", data)
    assert time.monotonic() - started < 10
    assert "more than 200,000 rows" in response.content.decode()
    assert not Actual.objects.for_org(world["org"]).exists()


def test_upload_over_the_size_limit_is_refused_before_it_is_read(client, world, settings):
    settings.PERFHUB_MAX_UPLOAD_BYTES = 50_000
    response = _upload(client, world, "a.csv", _csv(world, note="x" * 200_000))
    assert response.status_code == 413
    assert "too large: at most" in response.content.decode()
    assert not Actual.objects.for_org(world["org"]).exists()


def test_oversized_upload_is_never_stored_and_still_passes_the_csrf_check(
    world, settings, monkeypatch
):
    """The CSRF check reads the form before the view: the token (first in the form) is
    read, the file is not stored anywhere, and the page says why."""
    from django.core.files import uploadhandler
    from django.test import Client

    stored = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.new_file

        def spy(self, *args, _original=original, **kwargs):
            stored.append(type(self).__name__)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(handler, "new_file", spy)
    settings.PERFHUB_MAX_UPLOAD_BYTES = 50_000
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["hr"])
    url = f"/o/{world['org'].slug}/entries/upload/"
    token = client.get(url).cookies["csrftoken"].value
    big = SimpleUploadedFile("a.csv", _csv(world, note="x" * 200_000))
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": big})
    assert response.status_code == 413
    assert "too large: at most" in response.content.decode()
    assert stored == []
    small = SimpleUploadedFile("a.csv", _csv(world))
    response = client.post(url, {"csrfmiddlewaretoken": token, "file": small})
    assert response.status_code == 302 and stored  # a normal upload is stored as before


def test_upload_without_a_file_names_the_field(client, world):
    client.force_login(world["hr"])
    response = client.post(f"/o/{world['org'].slug}/entries/upload/", {})
    assert "This field is required" in response.content.decode()


def test_note_that_looks_like_a_formula_is_stored_as_text_and_downloaded_as_text(client, world):
    payload = "=cmd|' /C calc'!A0"
    response = _upload(client, world, "a.csv", _csv(world, note="'" + payload))
    assert response.status_code == 302
    assert Actual.objects.for_org(world["org"]).get().note == payload
    download = client.get(f"/o/{world['org'].slug}/entries/{world['month'].pk}/download/")
    ws = openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value == payload]
    assert cells and all(c.data_type == "s" for c in cells)
    csv_text = client.get(
        f"/o/{world['org'].slug}/entries/{world['month'].pk}/download.csv"
    ).content.decode("utf-8-sig")
    assert "'" + payload in csv_text


def test_case_count():
    """The number of bad inputs tried through the pages (reported in CHANGELOG)."""
    assert len(GRID_CASES) + len(UPLOAD_CASES) >= 55
