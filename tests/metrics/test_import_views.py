"""Pages of the spreadsheet round trip: download (.xlsx, .csv) and upload of actuals."""

import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from metrics import entry_headers, spreadsheets
from metrics.models import Actual, Kpi, PeriodKind, Template
from metrics.selectors import period_list
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.library import library_install
from metrics.services.periods import period_lock, periods_generate
from metrics.services.templates import template_apply
from tests.factories import make_department

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hr", "manager", "executive", "outsider"]
EXPECTED = {"admin": 200, "hr": 200, "manager": 200, "executive": 403, "outsider": 404}


@pytest.fixture
def world(org, sales, role_users):
    library_install(org=org)
    periods_generate(org=org, fiscal_year=2026, by=None)
    finance = make_department(org, code="finance", kind="management", function="finance")
    templates = {t.code: t for t in Template.objects.for_org(org)}
    template_apply(template=templates["sales_standard"], departments=[sales], by=None)
    template_apply(template=templates["finance_standard"], departments=[finance], by=None)
    period = list(period_list(org=org, kind=PeriodKind.MONTH))[2]
    return {"org": org, "sales": sales, "finance": finance, "period": period, **role_users}


def _url(name, org, **kwargs):
    return reverse(name, kwargs={"slug": org.slug, **kwargs})


def _download(client, world, name="entries_download", **params):
    return client.get(_url(name, world["org"], period_id=world["period"].pk), params)


def _fill(data: bytes, values: dict) -> SimpleUploadedFile:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [entry_headers.column_for(c.value) for c in ws[1]]
    code, value = header.index("indicator_code") + 1, header.index("value") + 1
    department = header.index("department_code") + 1
    for r in range(2, ws.max_row + 1):
        key = (ws.cell(r, department).value, ws.cell(r, code).value)
        if key in values:
            ws.cell(r, value).value = values[key]
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("实际值 2026-03.xlsx", out.getvalue())


def _upload(client, world, upload):
    return client.post(_url("entries_upload", world["org"]), {"file": upload}, follow=True)


def _read_back(api, user, org, period) -> dict[int, tuple[Decimal, str]]:
    """(value, source) by KPI id, read back through the actuals API."""
    response = api(user).get(f"/api/v1/orgs/{org.slug}/actuals/", {"period": period.pk})
    assert response.status_code == 200
    return {
        row["kpi"]: (Decimal(str(row["value"])), row["source"])
        for row in response.json()["results"]
    }


# --- role matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["entries_download", "entries_download_csv", "entries_upload"])
def test_role_matrix(world, login, role, name):
    client = login(world[role])
    if name == "entries_upload":
        response = client.get(_url(name, world["org"]))
    else:
        response = _download(client, world, name)
    assert response.status_code == EXPECTED[role]


@pytest.mark.parametrize("role", ["executive", "outsider"])
def test_upload_post_refused_for_executive_and_outsider(world, login, role):
    client = login(world[role])
    response = client.post(
        _url("entries_upload", world["org"]), {"file": SimpleUploadedFile("a.csv", b"x")}
    )
    assert response.status_code == EXPECTED[role]
    assert not Actual.objects.for_org(world["org"]).exists()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = _download(client, world)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_organizations_period_is_404(world, login, other_org):
    periods_generate(org=other_org, fiscal_year=2026, by=None)
    theirs = period_list(org=other_org).first()
    response = login(world["admin"]).get(
        _url("entries_download", world["org"], period_id=theirs.pk)
    )
    assert response.status_code == 404


# --- download -------------------------------------------------------------------------------


def test_download_is_an_xlsx_with_a_good_file_name(world, login):
    response = _download(login(world["hr"]), world, department=world["sales"].pk)
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="perfhub-acme-2026-03-sales.xlsx"')
    assert "filename*=UTF-8''" + quote("PerfHub Acme 2026-03 ") in disposition
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert tuple(entry_headers.column_for(name) for name in rows[0]) == spreadsheets.COLUMNS
    assert {r[2] for r in rows[1:]} == {"sales"}


def test_csv_download_is_utf8_with_bom(world, login):
    response = _download(login(world["admin"]), world, "entries_download_csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="perfhub-acme-2026-03-all.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_manager_downloads_only_the_departments_they_manage(world, login):
    client = login(world["manager"])
    rows = list(load_workbook(io.BytesIO(_download(client, world).content)).active.values)
    assert {r[2] for r in rows[1:]} == {"sales"}
    response = _download(client, world, department=world["finance"].pk)
    assert response.status_code == 403


def test_download_of_a_locked_period_says_why(world, login):
    period_lock(period=world["period"], by=None)
    response = _download(login(world["admin"]), world)
    assert response.status_code == 302
    page = login(world["admin"]).get(response["Location"])
    assert "is locked" in page.content.decode()


def test_download_form_of_the_upload_page_redirects_to_the_file(world, login):
    response = login(world["manager"]).get(
        _url("entries_upload", world["org"]),
        {"period": world["period"].pk, "department": world["sales"].pk, "format": "csv"},
    )
    assert response.status_code == 302
    assert response["Location"] == (
        _url("entries_download_csv", world["org"], period_id=world["period"].pk)
        + f"?department={world['sales'].pk}"
    )


# --- upload ---------------------------------------------------------------------------------


def test_upload_page_has_a_labelled_file_input(world, login):
    page = login(world["manager"]).get(_url("entries_upload", world["org"])).content.decode()
    assert '<label class="form-label" for="id_file">' in page
    assert 'type="file" name="file" id="id_file"' in page
    assert f'<option value="{world["sales"].pk}">' in page
    assert f'<option value="{world["finance"].pk}">' not in page


def test_round_trip_through_the_pages(world, login, api):
    client = login(world["manager"])
    data = _download(client, world).content
    values = {("sales", "sales_revenue"): 2_000_000, ("sales", "new_customers"): 42}
    response = _upload(client, world, _fill(data, values))
    assert response.redirect_chain[-1][1] == 302
    page = response.content.decode()
    assert "2 new, 0 changed, 0 unchanged" in page

    kpis = {
        k.indicator.code: k.pk
        for k in Kpi.objects.for_org(world["org"])
        .filter(department=world["sales"])
        .select_related("indicator")
    }
    saved = _read_back(api, world["admin"], world["org"], world["period"])
    assert saved == {
        kpis["sales_revenue"]: (Decimal(2_000_000), "import"),
        kpis["new_customers"]: (Decimal(42), "import"),
    }

    again = _download(client, world).content
    page = _upload(client, world, _fill(again, {("sales", "new_customers"): 43})).content
    assert "0 new, 1 changed, 1 unchanged" in page.decode()


def test_bad_rows_are_listed_on_the_page_and_nothing_is_saved(world, login):
    client = login(world["admin"])
    data = _download(client, world).content
    upload = _fill(
        data,
        {
            ("sales", "sales_revenue"): "abc",
            ("sales", "profit"): "1,5",
            ("sales", "new_customers"): -1,
            ("sales", "customer_satisfaction"): 2000,
        },
    )
    response = _upload(client, world, upload)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved: 4 rows have problems." in page
    assert page.count("<tr><td>") == 4
    assert "is not a number" in page
    assert "“1,5” is ambiguous: write 1.5 with a point for decimals" in page
    assert "cannot be negative" in page
    assert "Customer satisfaction must be between 0 and 100." in page
    assert not Actual.objects.for_org(world["org"]).exists()


def test_manager_row_of_another_department_is_listed(world, login):
    admin_file = _download(login(world["admin"]), world).content
    client = login(world["manager"])
    upload = _fill(admin_file, {("sales", "new_customers"): 3, ("finance", "budget_execution"): 99})
    page = _upload(client, world, upload).content.decode()
    assert "may not enter actuals of" in page
    assert not Actual.objects.for_org(world["org"]).exists()


def test_version_conflict_is_listed_and_nothing_overwritten(world, login):
    client = login(world["manager"])
    data = _download(client, world).content
    kpi = Kpi.objects.for_org(world["org"]).get(
        department=world["sales"], indicator__code="new_customers"
    )
    actuals_save(
        org=world["org"],
        by=world["hr"],
        source="web",
        entries=[ActualInput(kpi.pk, world["period"].pk, 40)],
        can_enter=lambda d: True,
    )
    page = _upload(client, world, _fill(data, {("sales", "new_customers"): 41})).content.decode()
    assert "Changed by harry-hr" in page and "download it again" in page
    assert Actual.objects.for_org(world["org"]).get().value == 40


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xlsx", b"PK\x03\x04 not really a zip", "not a valid Excel workbook"),
        ("report.pdf", b"%PDF-1.4", "Upload an Excel workbook"),
        ("a.csv", b"foo,bar\r\n1,2\r\n", "lacks the column"),
        ("a.xlsx", b"", "empty"),
    ],
)
def test_bad_files_get_a_clear_message_never_a_500(world, login, name, content, message):
    response = _upload(login(world["hr"]), world, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_file_over_the_size_limit_is_refused_on_the_page(world, login, settings):
    settings.PERFHUB_MAX_UPLOAD_BYTES = 100
    response = _upload(login(world["hr"]), world, SimpleUploadedFile("a.csv", b"x" * 200))
    assert "too large" in response.content.decode()


def test_formula_cell_is_refused_on_the_page(world, login):
    client = login(world["admin"])
    upload = _fill(_download(client, world).content, {("sales", "new_customers"): "=6*7"})
    page = _upload(client, world, upload).content.decode()
    assert "holds a formula" in page
    assert not Actual.objects.for_org(world["org"]).exists()


# --- large uploads: in the background -------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """The uploads published to the job, (organization id, upload id), instead of a broker."""
    from metrics.services import uploads

    published: list[tuple[int, int]] = []
    monkeypatch.setattr(uploads, "upload_enqueue", lambda *ids: published.append(ids) or True)
    return published


def _rows_in(upload: SimpleUploadedFile) -> int:
    rows = spreadsheets.read_rows(io.BytesIO(upload.read()), upload.name)
    upload.seek(0)
    return len(rows)


def _post(client, world, upload, capture):
    with capture(execute=True):
        return client.post(_url("entries_upload", world["org"]), {"file": upload})


def test_upload_above_the_threshold_is_imported_in_the_background(
    world, login, settings, queued, django_capture_on_commit_callbacks
):
    from metrics.models import Upload
    from metrics.services.uploads import upload_run

    client = login(world["manager"])
    values = {("sales", "sales_revenue"): 2_000_000, ("sales", "new_customers"): 42}
    upload = _fill(_download(client, world).content, values)
    settings.PERFHUB_UPLOAD_INLINE_ROWS = _rows_in(upload) - 1
    response = _post(client, world, upload, django_capture_on_commit_callbacks)
    kept = Upload.objects.for_org(world["org"]).get()
    assert response.status_code == 302
    assert response["Location"] == _url("entries_upload_status", world["org"], pk=kept.pk)
    assert queued == [(world["org"].pk, kept.pk)]
    assert (kept.state, kept.uploaded_by, kept.file_name) == (
        "queued",
        world["manager"],
        upload.name,
    )
    assert not Actual.objects.for_org(world["org"]).exists()  # nothing saved by the request

    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "queued" in page
    assert upload_run(org=world["org"], upload_id=kept.pk) == "done"
    assert Actual.objects.for_org(world["org"]).count() == 2
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="progress"')
    assert "hx-trigger" not in fragment  # finished: the page stops polling
    assert "Imported: 2 new, 0 changed, 0 unchanged." in fragment
    kept.refresh_from_db()
    assert bytes(kept.content) == b""  # the file is not kept once imported


def test_upload_at_the_threshold_is_imported_within_the_request(world, login, settings, queued):
    from metrics.models import Upload

    client = login(world["manager"])
    upload = _fill(_download(client, world).content, {("sales", "new_customers"): 42})
    settings.PERFHUB_UPLOAD_INLINE_ROWS = _rows_in(upload)
    page = _upload(client, world, upload).content.decode()
    assert "1 new, 0 changed, 0 unchanged" in page
    assert Actual.objects.for_org(world["org"]).count() == 1
    assert not Upload.objects.for_org(world["org"]).exists() and not queued


def test_background_upload_lists_every_bad_row_and_saves_nothing(
    world, login, settings, queued, django_capture_on_commit_callbacks
):
    from metrics.services.uploads import upload_run

    settings.PERFHUB_UPLOAD_INLINE_ROWS = 1
    client = login(world["admin"])
    upload = _fill(
        _download(client, world).content,
        {
            ("sales", "sales_revenue"): "abc",
            ("sales", "new_customers"): -1,
            ("sales", "customer_satisfaction"): 90,
        },
    )
    response = _post(client, world, upload, django_capture_on_commit_callbacks)
    [(_org_id, upload_id)] = queued
    assert upload_run(org=world["org"], upload_id=upload_id) == "failed"
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was saved: 2 rows have problems." in page
    assert page.count("<tr><td>") == 2
    assert "is not a number" in page and "cannot be negative" in page
    assert "<code>value</code>" in page
    assert not Actual.objects.for_org(world["org"]).exists()


def test_the_same_file_uploaded_twice_in_the_background_changes_nothing(
    world, login, settings, queued, django_capture_on_commit_callbacks
):
    """The second upload carries the versions the first one replaced, but its rows equal
    what is stored: they are unchanged, not conflicts, and nothing is written."""
    from metrics.models import ActualChange, Upload
    from metrics.services.uploads import upload_run

    settings.PERFHUB_UPLOAD_INLINE_ROWS = 1
    client = login(world["admin"])
    data = _fill(
        _download(client, world).content,
        {("sales", "new_customers"): 42, ("sales", "customer_satisfaction"): 90},
    ).read()
    states = []
    for n in range(2):
        _post(client, world, SimpleUploadedFile("a.xlsx", data), django_capture_on_commit_callbacks)
        states.append(upload_run(org=world["org"], upload_id=queued[-1][1]))
        if n == 0:
            saved = list(Actual.objects.for_org(world["org"]).values("kpi", "value", "version"))
            history = ActualChange.objects.filter(organization_id=world["org"].pk).count()
    assert states == ["done", "done"]
    second = Upload.objects.for_org(world["org"]).get(pk=queued[-1][1])
    assert second.problems == []
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert len(saved) == 2
    assert list(Actual.objects.for_org(world["org"]).values("kpi", "value", "version")) == saved
    assert ActualChange.objects.filter(organization_id=world["org"].pk).count() == history
    # A redelivered job of a finished upload does nothing.
    assert upload_run(org=world["org"], upload_id=queued[0][1]) == "done"
    assert ActualChange.objects.filter(organization_id=world["org"].pk).count() == history


def test_the_same_file_uploaded_twice_inline_changes_nothing(world, login):
    from metrics.models import ActualChange

    client = login(world["manager"])
    data = _fill(
        _download(client, world).content,
        {("sales", "new_customers"): 42, ("sales", "customer_satisfaction"): 90},
    ).read()
    first = _upload(client, world, SimpleUploadedFile("a.xlsx", data)).content.decode()
    assert "2 new, 0 changed, 0 unchanged" in first
    saved = list(Actual.objects.for_org(world["org"]).values("kpi", "value", "version"))
    history = ActualChange.objects.filter(organization_id=world["org"].pk).count()
    second = _upload(client, world, SimpleUploadedFile("a.xlsx", data)).content.decode()
    assert "0 new, 0 changed, 2 unchanged" in second
    assert "download it again" not in second
    assert list(Actual.objects.for_org(world["org"]).values("kpi", "value", "version")) == saved
    assert ActualChange.objects.filter(organization_id=world["org"].pk).count() == history


def test_upload_status_is_its_uploaders_only(world, login, other_org):
    from metrics.models import Upload

    upload = Upload.objects.create(
        organization=world["org"], file_name="a.xlsx", content=b"x", uploaded_by=world["manager"]
    )
    url = _url("entries_upload_status", world["org"], pk=upload.pk)
    assert login(world["manager"]).get(url).status_code == 200
    assert login(world["hr"]).get(url).status_code == 404  # another member's upload
    assert login(world["executive"]).get(url).status_code == 403
    assert login(world["outsider"]).get(url).status_code == 404
    # Another organization's admin, at their own organization's address.
    from departments.models import Role
    from tests.factories import MembershipFactory, UserFactory

    stranger = UserFactory(username="globex-admin")
    MembershipFactory(organization=other_org, user=stranger, role=Role.ADMIN)
    theirs = reverse("entries_upload_status", kwargs={"slug": other_org.slug, "pk": upload.pk})
    assert login(stranger).get(theirs).status_code == 404
