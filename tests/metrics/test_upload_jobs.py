"""The background upload with a real Celery worker on a real Redis server (tests/live.py):
a worker SIGKILLed in the middle of an import leaves nothing saved, and the upload ends
failed with a message the uploader sees."""

import io
import os
import signal

import pytest
from openpyxl import load_workbook

from metrics import entry_headers, spreadsheets
from metrics.models import Actual, ActualChange, PeriodKind, Template, Upload
from metrics.selectors import period_list
from metrics.services import uploads
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.recalc import recalculation_mark
from metrics.services.templates import template_apply
from tests.live import recalculation_marks_held, start_worker, wait_for, waits_on_a_lock

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(org, sales, admin):
    library_install(org=org)
    periods_generate(org=org, fiscal_year=2026, by=None)
    templates = {t.code: t for t in Template.objects.for_org(org)}
    template_apply(template=templates["sales_standard"], departments=[sales], by=None)
    period = list(period_list(org=org, kind=PeriodKind.MONTH))[2]
    return {"org": org, "period": period, "admin": admin}


def _filled(world) -> bytes:
    data = spreadsheets.workbook_for(org=world["org"], period=world["period"], department_ids=None)
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]  # the data sheet, named in the language of the download
    header = [entry_headers.column_for(c.value) for c in ws[1]]  # labels in any language
    values = {"new_customers": 42, "customer_satisfaction": 90}
    for r in range(2, ws.max_row + 1):
        code = ws.cell(r, header.index("indicator_code") + 1).value
        if code in values:
            ws.cell(r, header.index("value") + 1).value = values[code]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _state(upload):
    return (
        Upload.objects.for_org(upload.organization)
        .values_list("state", flat=True)
        .get(pk=upload.pk)
    )


def test_upload_job_killed_mid_import_saves_nothing_and_ends_failed(
    world, redis_server, point_app_at, processes
):
    """The worker is SIGKILLed while its import waits for the recalculation marks, which
    this test holds locked: the actuals are written but not committed. Nothing of them
    remains; the redelivered job finds the upload running and fails it with a message."""
    org = world["org"]
    recalculation_mark(org=org, periods=[world["period"]])  # a mark the import will update
    upload = Upload.objects.create(
        organization=org,
        file_name="big.xlsx",
        content=_filled(world),
        uploaded_by=world["admin"],
        language="en",
    )
    point_app_at(redis_server.url)
    with recalculation_marks_held(org) as blocker:
        worker = start_worker(processes, redis_server)
        assert uploads.upload_enqueue(org.pk, upload.pk)

        wait_for(
            lambda: waits_on_a_lock(blocker), seconds=60, what="the import to be mid-transaction"
        )
        assert _state(upload) == "running"  # started (committed), not finished
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert not Actual.objects.for_org(org).exists()
    assert not ActualChange.objects.filter(organization_id=org.pk).exists()
    start_worker(processes, redis_server, name="second")
    wait_for(lambda: _state(upload) == "failed", seconds=90, what="redelivery to fail the upload")
    upload.refresh_from_db()
    assert upload.message == uploads.interrupted_message()
    assert upload.finished_at is not None and bytes(upload.content) == b""
    assert not Actual.objects.for_org(org).exists()
