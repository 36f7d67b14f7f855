"""Background uploads (metrics.services.uploads): the job's work, its interruption, the
sweeper, and the sweeper's cross-tenant read."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from metrics import entry_headers, spreadsheets
from metrics.models import Actual, PeriodKind, Template, Upload
from metrics.selectors import period_list, unfinished_upload_organization_ids
from metrics.services import uploads
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, sales, admin):
    library_install(org=org)
    periods_generate(org=org, fiscal_year=2026, by=None)
    templates = {t.code: t for t in Template.objects.for_org(org)}
    template_apply(template=templates["sales_standard"], departments=[sales], by=None)
    period = list(period_list(org=org, kind=PeriodKind.MONTH))[2]
    return {"org": org, "period": period, "admin": admin}


@pytest.fixture
def published(monkeypatch):
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(uploads, "upload_enqueue", lambda *ids: calls.append(ids) or True)
    return calls


def _file(world, value=42) -> bytes:
    data = spreadsheets.workbook_for(org=world["org"], period=world["period"], department_ids=None)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]  # the data sheet, named in the language of the download
    header = [entry_headers.column_for(c.value) for c in ws[1]]  # labels in any language
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, header.index("indicator_code") + 1).value == "new_customers":
            ws.cell(r, header.index("value") + 1).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(world, content: bytes, name="a.xlsx", **fields) -> Upload:
    return Upload.objects.create(
        organization=world["org"],
        file_name=name,
        content=content,
        uploaded_by=world["admin"],
        language="en",
        **fields,
    )


def test_upload_create_keeps_the_file_and_publishes_after_commit(
    world, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = uploads.upload_create(
            org=world["org"],
            by=world["admin"],
            file_name="a.xlsx",
            content=b"bytes",
            rows=5000,
            language="en",
        )
        assert published == []  # not before the commit
    for callback in callbacks:
        callback()
    assert published == [(world["org"].pk, upload.pk)]
    assert (upload.state, upload.rows, bytes(upload.content)) == ("queued", 5000, b"bytes")


def test_run_imports_and_records_the_result(world):
    upload = _upload(world, _file(world))
    assert uploads.upload_run(org=world["org"], upload_id=upload.pk) == "done"
    upload.refresh_from_db()
    assert (upload.created, upload.updated, upload.unchanged, upload.progress) == (1, 0, 0, 100)
    assert upload.attempts == 1 and upload.finished_at is not None
    assert Actual.objects.for_org(world["org"]).get().value == 42


def test_a_file_refused_as_a_whole_fails_with_its_message(world):
    upload = _upload(world, b"%PDF-1.4 not a workbook")
    assert uploads.upload_run(org=world["org"], upload_id=upload.pk) == "failed"
    upload.refresh_from_db()
    assert "not a valid Excel workbook" in upload.message and upload.problems == []
    assert not Actual.objects.for_org(world["org"]).exists()


def test_an_upload_found_running_was_interrupted_and_fails_without_importing(world):
    """What a redelivered job finds after its worker died in the import's transaction."""
    upload = _upload(world, _file(world), state="running", started_at=timezone.now())
    assert uploads.upload_run(org=world["org"], upload_id=upload.pk) == "failed"
    upload.refresh_from_db()
    assert upload.message == uploads.interrupted_message()
    assert "Nothing was saved" in upload.message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_an_unexpected_error_fails_the_upload_and_saves_nothing(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(spreadsheets, "import_rows", broken)
    upload = _upload(world, _file(world))
    assert uploads.upload_run(org=world["org"], upload_id=upload.pk) == "failed"
    upload.refresh_from_db()
    assert "failed on the server" in upload.message
    assert not Actual.objects.for_org(world["org"]).exists()


def test_messages_are_in_the_uploaders_language(world):
    upload = _upload(world, b"%PDF", name="a.xlsx")
    Upload.objects.for_org(world["org"]).filter(pk=upload.pk).update(language="zh-hans")
    uploads.upload_run(org=world["org"], upload_id=upload.pk)
    upload.refresh_from_db()
    assert "Excel" in upload.message and "This is not" not in upload.message


def test_sweeper_fails_stale_running_and_republishes_stale_queued(world, published):
    now = timezone.now()
    long_ago = now - dt.timedelta(hours=1)
    stuck = _upload(world, b"x", state="running", started_at=long_ago)
    running = _upload(world, b"x", state="running", started_at=now)
    lost = _upload(world, b"x")
    fresh = _upload(world, b"x")
    Upload.objects.for_org(world["org"]).filter(pk=lost.pk).update(created_at=long_ago)
    assert uploads.uploads_sweep(org=world["org"], now=now) == {"failed": 1, "republished": 1}
    states = dict(Upload.objects.for_org(world["org"]).values_list("pk", "state"))
    assert states == {
        stuck.pk: "failed",
        running.pk: "running",
        lost.pk: "queued",
        fresh.pk: "queued",
    }
    assert published == [(world["org"].pk, lost.pk)]
    stuck.refresh_from_db()
    assert stuck.message == uploads.interrupted_message()


def test_organizations_with_unfinished_uploads_are_found_across_tenants(world, other_org):
    _upload(world, b"x")
    Upload.objects.create(organization=other_org, file_name="b.xlsx", content=b"x")
    Upload.objects.create(organization=other_org, file_name="c.xlsx", content=b"x", state="done")
    assert unfinished_upload_organization_ids() == sorted([world["org"].pk, other_org.pk])
    Upload.objects.for_org(world["org"]).update(state="failed")
    assert unfinished_upload_organization_ids() == [other_org.pk]
