"""Excel exports never turn user text into formulas (CSV/formula injection): department,
indicator and other names that start with =, +, - or @ are written as text cells."""

import io

import pytest
from openpyxl import load_workbook

from departments.models import Department
from metrics.models import Indicator

pytestmark = pytest.mark.django_db
PAYLOADS = ["=1+1", "=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", '=HYPERLINK("x")']


def _cells(content):
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dashboard_and_scorecard_exports_write_names_as_text(client, admin, org, computed, payload):
    Department.objects.for_org(org).update(name=payload, name_en=payload)
    Indicator.objects.for_org(org).update(name=payload, name_en=payload)
    month = computed["month"]
    client.force_login(admin)
    sales = Department.objects.for_org(org).get(code="sales")
    for url in (
        f"/o/{org.slug}/dashboard/export.xlsx?period={month.pk}",
        f"/o/{org.slug}/scorecards/{sales.pk}/export.xlsx?period={month.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        cells = _cells(response.content)
        assert not [c.coordinate for c in cells if c.data_type == "f"], url
        assert [c for c in cells if c.value == payload], url  # the text is kept as it is
