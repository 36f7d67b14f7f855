"""The org-chart import's pages and API × every role: HR and admins only, 404 for
outsiders; upload → preview → confirm through each; the template in both languages."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import Department, Membership
from orgchart import columns
from orgchart.models import OrgChartUpload
from tests.orgchart.test_import import PEOPLE, template_file

pytestmark = pytest.mark.django_db

ALLOWED = {"admin", "hr"}
ROLES = ["admin", "hr", "manager", "executive", "outsider"]


@pytest.fixture
def kept(org, hr):
    return OrgChartUpload.objects.create(
        organization=org,
        created_by=hr,
        file_name="people.csv",
        parsed={"departments": [], "people": [], "errors": [], "columns": {}},
    )


@pytest.mark.parametrize("name", ["org_chart_import", "org_chart_template", "org_chart_preview"])
@pytest.mark.parametrize("role", ROLES)
def test_page_role_matrix(client, role_users, org, kept, name, role):
    client.force_login(role_users[role])
    kwargs = {"slug": org.slug} | ({"pk": kept.pk} if name == "org_chart_preview" else {})
    response = client.get(reverse(name, kwargs=kwargs))
    expected = 404 if role == "outsider" else 200 if role in ALLOWED else 403
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_api_role_matrix(api, role_users, org, kept, role):
    response = api(role_users[role]).get(f"/api/v1/orgs/{org.slug}/org-chart/imports/{kept.pk}/")
    expected = 404 if role == "outsider" else 200 if role in ALLOWED else 403
    assert response.status_code == expected


def test_page_upload_preview_confirm(client, org, hr, manager):
    client.force_login(hr)
    file = template_file()
    file.name = "org.xlsx"
    response = client.post(reverse("org_chart_import", kwargs={"slug": org.slug}), {"file": file})
    assert response.status_code == 302
    upload = OrgChartUpload.objects.for_org(org).get()
    page = client.get(response["Location"]).content.decode()
    assert "王芳" in page and "Anna Schmidt" in page and 'id="import-confirm"' in page
    assert not Department.objects.for_org(org).filter(code="hq").exists()  # nothing yet
    digest = page.split('name="digest" value="')[1].split('"')[0]
    url = reverse("org_chart_confirm", kwargs={"slug": org.slug, "pk": upload.pk})
    response = client.post(url, {"digest": digest, "send_links": "on"})
    assert response.status_code == 302
    assert Department.objects.for_org(org).filter(code="hq").exists()
    page = client.get(response["Location"]).content.decode()
    assert 'id="people-missing"' in page  # the manager is not in the file
    url = reverse("org_chart_deactivate", kwargs={"slug": org.slug, "pk": upload.pk})
    client.post(url)
    assert not Membership.objects.for_org(org).get(user=manager).is_active
    # the deactivated manager is turned away from the organization
    client.force_login(manager)
    assert client.get(reverse("org_home", kwargs={"slug": org.slug})).status_code == 404


def test_page_lists_bad_rows_and_offers_no_confirm(client, org, hr):
    client.force_login(hr)
    bad = io.BytesIO("姓名,邮箱\r\n张三,not-an-email\r\n".encode("gbk"))
    bad.name = "people.csv"
    response = client.post(reverse("org_chart_import", kwargs={"slug": org.slug}), {"file": bad})
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-problems"' in page and "not-an-email" in page
    assert 'id="import-confirm"' not in page


def test_page_refuses_an_unreadable_file_on_the_form(client, org, hr):
    client.force_login(hr)
    file = io.BytesIO(b"%PDF")
    file.name = "org.pdf"
    response = client.post(reverse("org_chart_import", kwargs={"slug": org.slug}), {"file": file})
    assert response.status_code == 200 and "Excel workbook" in response.content.decode()
    assert not OrgChartUpload.objects.for_org(org).exists()


def test_api_upload_preview_confirm_and_changed_preview(api, org, hr):
    client = api(hr)
    base = f"/api/v1/orgs/{org.slug}/org-chart/imports/"
    file = template_file()
    file.name = "org.xlsx"
    response = client.post(base, {"file": file}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [p["username"] for p in body["preview"]["people_new"]] == ["wangfang", "ouyang", "anna"]
    assert body["errors"] == []
    response = client.post(f"{base}{body['id']}/confirm/", {"digest": "0" * 64}, format="json")
    assert response.status_code == 409
    response = client.post(
        f"{base}{body['id']}/confirm/", {"digest": body["digest"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert Department.objects.for_org(org).count() == 3
    again = client.post(f"{base}{body['id']}/confirm/", {}, format="json")
    assert again.status_code == 400  # already imported


def test_api_bad_rows_answer_400_with_every_row(api, org, hr):
    client = api(hr)
    base = f"/api/v1/orgs/{org.slug}/org-chart/imports/"
    rows = [*PEOPLE, ["", "x", "", "", "", "", "", "", "", ""]]
    csv_file = io.BytesIO("\r\n".join(",".join(r) for r in rows).encode("utf-8-sig"))
    csv_file.name = "people.csv"
    body = client.post(base, {"file": csv_file}, format="multipart").json()
    assert {
        "sheet": "CSV",
        "row": 5,
        "column": "A (姓名)",
        "message": "The name is empty.",
    } in body["errors"]
    response = client.post(f"{base}{body['id']}/confirm/", {}, format="json")
    assert response.status_code == 400 and response.json()["errors"]
    refused = client.post(base, {"file": io.BytesIO(b"x")}, format="multipart")
    assert refused.status_code == 400


@pytest.mark.parametrize("language,headers", [("en", 1), ("zh-hans", 0)])
def test_template_in_both_languages_reads_back(client, org, hr, language, headers):
    client.force_login(hr)
    client.cookies["django_language"] = language
    response = client.get(reverse("org_chart_template", kwargs={"slug": org.slug}))
    wb = load_workbook(io.BytesIO(response.content))
    departments, people, _help = wb.worksheets
    assert [c.value for c in departments[1]] == [
        v[headers] for v in columns.DEPARTMENT_COLUMNS.values()
    ]
    assert [c.value for c in people[1]] == [v[headers] for v in columns.PEOPLE_COLUMNS.values()]
    assert columns.sheet_kind([c.value for c in departments[1]]) == "departments"
    assert columns.sheet_kind([c.value for c in people[1]]) == "people"


def test_preview_query_count_does_not_grow_with_the_file(
    client, org, hr, django_assert_max_num_queries
):
    from tests.orgchart.test_import import _big_file, upload

    small, _ = upload(org, hr, _big_file(20, "s"))
    big, _ = upload(org, hr, _big_file(400, "b"))
    client.force_login(hr)
    client.get(reverse("org_chart_import", kwargs={"slug": org.slug}))  # the switcher cached
    counts = []
    for up in (small, big):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("org_chart_preview", kwargs={"slug": org.slug, "pk": up.pk}))
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] < 30
