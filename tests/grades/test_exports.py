"""The coefficients workbook for payroll: a published calibration's frozen grades, one row
per department, headers in the reader's language, never another organization's rows."""

import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from departments.models import Department, Membership
from grades import services
from grades.exports import grades_workbook
from metrics.services.periods import periods_generate
from scorecards.models import Scorecard
from tests.factories import make_department

from .conftest import member

pytestmark = pytest.mark.django_db

HEADERS_EN = [
    "Code",
    "Department",
    "Group",
    "Score",
    "Computed grade",
    "Final grade",
    "Coefficient",
    "Reason",
]
HEADER_ROW = 4


def _publish(org, hr, executive, quarter, graded):
    """The calibration of test_services: two moves bring the business group within the
    guideline (b2 S → A, b4 A → B), then it is published."""
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    for code, grade, reason in (
        ("b2", "A", "一次性大单 / One-off deal"),
        ("b4", "B", "Low target"),
    ):
        services.calibration_move(
            org=org,
            membership=member(executive),
            calibration=calibration,
            department=graded[code],
            grade=grade,
            reason=reason,
        )
    return services.calibration_publish(
        org=org, membership=member(executive), calibration=calibration
    )


def _sheet(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    assert len(wb.sheetnames) == 1
    return wb.worksheets[0]


def _rows(ws):
    return [list(r) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def test_the_workbook_has_each_departments_frozen_grade_and_coefficient(
    org, hr, executive, quarter, graded
):
    Department.objects.for_org(org).filter(code="m1").update(name="人力资源部", name_en="People")
    calibration = _publish(org, hr, executive, quarter, graded)
    # Scores change after publication: payroll still gets what was published.
    Scorecard.objects.for_org(org).update(score=D(50), rolled_up_score=D(50))

    ws = _sheet(grades_workbook(org=org, calibration=calibration, language="en", by=hr))

    assert ws["A1"].value == f"{org.name} · {quarter.label}"
    assert "Exported at" in ws["A2"].value and "Published at" in ws["A2"].value
    assert [c.value for c in ws[HEADER_ROW]] == HEADERS_EN
    rows = _rows(ws)
    # management first, then business, each by department code; m3 (no score) has no grade
    assert [r[0] for r in rows] == ["m1", "m2", "m3", *[f"b{i}" for i in range(1, 10)]]
    by_code = {r[0]: r for r in rows}
    assert by_code["m1"] == ["m1", "People", "Management", 101, "A", "A", 1.15, None]
    assert by_code["m3"] == ["m3", "M3", "Management", None, None, None, None, None]
    assert by_code["b1"] == ["b1", "B1", "Business", 115, "S", "S", 1.3, None]
    assert by_code["b2"] == [
        "b2",
        "B2",
        "Business",
        112,
        "S",
        "A",
        1.15,
        "一次性大单 / One-off deal",
    ]
    assert by_code["b4"][3:] == [100, "A", "B", 1, "Low target"]
    assert by_code["b9"][3:7] == [75, "C", "C", 0.8]
    # numbers stay numbers, shown with the export formats
    score, coefficient = ws.cell(HEADER_ROW + 1, 4), ws.cell(HEADER_ROW + 1, 7)
    assert (score.data_type, score.number_format) == ("n", "0.0")
    assert (coefficient.data_type, coefficient.number_format) == ("n", "0.00#")
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"


def test_headers_group_and_department_names_follow_the_language(
    org, hr, executive, quarter, graded
):
    Department.objects.for_org(org).filter(code="m1").update(name="人力资源部", name_en="People")
    calibration = _publish(org, hr, executive, quarter, graded)

    ws = _sheet(grades_workbook(org=org, calibration=calibration, language="zh-hans"))

    headers = [c.value for c in ws[HEADER_ROW]]
    with translation.override("zh-hans"):
        assert headers == [gettext(h) for h in HEADERS_EN]
        assert ws["A1"].value == f"{org.name} · {quarter.label}"
    # the headers the catalog already translates (the new ones follow when the lead merges
    # the translations)
    assert {"编码", "部门", "得分", "原因"} <= set(headers)
    m1 = next(r for r in _rows(ws) if r[0] == "m1")
    assert m1[1:3] == ["人力资源部", "管理部门"]
    assert "导出时间" in ws["A2"].value
    # the caller's language is left as it was
    assert translation.get_language() != "zh-hans"


def test_another_organizations_grades_never_appear(
    org, other_org, hr, executive, quarter, graded, django_user_model
):
    other_quarter = next(
        p
        for p in periods_generate(org=other_org, fiscal_year=2026, by=None)
        if p.kind == "quarter" and p.number == 1
    )
    theirs = make_department(other_org, code="x1", kind="business")
    Scorecard.objects.create(
        organization=other_org,
        department=theirs,
        period=other_quarter,
        score=D(90),
        rolled_up_score=D(90),
        coverage=D(1),
        computed_at=timezone.now(),
    )
    their_hr = django_user_model.objects.create(username="globex-hr")
    Membership.objects.create(organization=other_org, user=their_hr, role="hr")
    their_member = member(their_hr)
    their_calibration = services.calibration_open(
        org=other_org, membership=their_member, period=other_quarter
    )
    their_calibration = services.calibration_publish(
        org=other_org, membership=their_member, calibration=their_calibration
    )
    calibration = _publish(org, hr, executive, quarter, graded)

    ours = _rows(_sheet(grades_workbook(org=org, calibration=calibration, language="en")))
    assert "x1" not in {r[0] for r in ours} and len(ours) == len(graded)
    theirs_rows = _rows(
        _sheet(grades_workbook(org=other_org, calibration=their_calibration, language="en"))
    )
    assert [r[0] for r in theirs_rows] == ["x1"]
    # another organization's calibration asked for under ours: refused, nothing written
    with pytest.raises(ValidationError) as refused:
        grades_workbook(org=org, calibration=their_calibration, language="en")
    assert "calibration" in refused.value.message_dict


def test_grades_not_published_are_refused(org, hr, executive, quarter, graded):
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    with pytest.raises(ValidationError) as still_open:
        grades_workbook(org=org, calibration=calibration, language="en")
    assert "calibration" in still_open.value.message_dict

    calibration = _publish(org, hr, executive, quarter, graded)
    grades_workbook(org=org, calibration=calibration, language="en")  # published: fine
    reopened = services.calibration_reopen(
        org=org, membership=member(hr), calibration=calibration, reason="Scores corrected"
    )
    with pytest.raises(ValidationError) as reopened_refused:
        grades_workbook(org=org, calibration=reopened, language="en")
    assert "calibration" in reopened_refused.value.message_dict
