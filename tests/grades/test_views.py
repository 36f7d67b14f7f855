"""The grades pages: the board (calibrate, publish, reopen; managers read their published
grades) and the scale; roles, another organization, bad input beside its field."""

from decimal import Decimal as D

import pytest

from grades import selectors
from grades.models import Calibration, CalibrationGrade, GradeBand

pytestmark = pytest.mark.django_db


def _board(org, quarter):
    return f"/o/{org.slug}/grades/?period={quarter.pk}"


def test_hr_opens_an_executive_moves_and_publishes(
    org, hr, executive, quarter, graded, client, login
):
    login(hr)
    page = client.get(_board(org, quarter))
    assert page.status_code == 200
    assert "Open the calibration" in page.content.decode()
    assert client.post(_board(org, quarter), {"action": "open"}).status_code == 302
    login(executive)
    page = client.get(_board(org, quarter)).content.decode()
    assert "outside the guideline" in page
    # The rounding is explained: 9 business departments, S at most 10 %.
    assert "At most 10 % of 9 = 0.9, rounded to 1" in page
    refused = client.post(
        _board(org, quarter),
        {"action": "move", "department": graded["b2"].pk, "grade": "A", "reason": ""},
    )
    assert refused.status_code == 200
    assert "Give a reason" in refused.content.decode()
    for code, grade in (("b2", "A"), ("b4", "B")):
        moved = client.post(
            _board(org, quarter),
            {"action": "move", "department": graded[code].pk, "grade": grade, "reason": "Because"},
        )
        assert moved.status_code == 302
    page = client.get(_board(org, quarter)).content.decode()
    assert "outside the guideline" not in page
    assert client.post(_board(org, quarter), {"action": "publish"}).status_code == 302
    assert Calibration.objects.for_org(org).get().state == "published"
    frozen = CalibrationGrade.objects.for_org(org).get(department=graded["b2"])
    assert (frozen.final, frozen.coefficient, frozen.reason) == ("A", D("1.15"), "Because")


def test_publishing_outside_the_guideline_is_refused_on_the_page(
    org, hr, executive, quarter, graded, client, login
):
    login(hr)
    client.post(_board(org, quarter), {"action": "open"})
    answer = client.post(_board(org, quarter), {"action": "publish"})
    assert answer.status_code == 200
    assert "does not meet the guideline" in answer.content.decode()
    assert Calibration.objects.for_org(org).get().state == "open"


def test_a_manager_sees_only_their_published_grades_and_cannot_calibrate(
    org, hr, manager, sales, quarter, graded, client, login
):
    from scorecards.models import Scorecard

    # The manager's Sales department is graded too.
    Scorecard.objects.create(
        organization=org,
        department=sales,
        period=quarter,
        score=D(101),
        rolled_up_score=D(101),
        coverage=D(1),
        computed_at="2026-04-01T00:00Z",
    )
    login(manager)
    page = client.get(_board(org, quarter)).content.decode()
    assert "not published yet" in page
    assert client.post(_board(org, quarter), {"action": "open"}).status_code == 403
    login(hr)
    client.post(_board(org, quarter), {"action": "open"})
    # override allowed so the page can publish as it is
    from grades.models import GradingPolicy

    GradingPolicy.objects.create(organization=org, publish_rule="override")
    client.post(_board(org, quarter), {"action": "publish", "override_reason": "As computed"})
    login(manager)
    page = client.get(_board(org, quarter)).content.decode()
    assert f'id="grade-{sales.pk}"' in page
    assert f'id="grade-{graded["b1"].pk}"' not in page  # another department
    assert "Distribution against the guideline" not in page
    assert (
        client.post(_board(org, quarter), {"action": "reopen", "reason": "no"}).status_code == 403
    )


def test_reopening_needs_a_reason(org, hr, quarter, graded, client, login):
    from grades.models import GradingPolicy

    GradingPolicy.objects.create(organization=org, publish_rule="override")
    login(hr)
    client.post(_board(org, quarter), {"action": "open"})
    client.post(_board(org, quarter), {"action": "publish", "override_reason": "ok"})
    answer = client.post(_board(org, quarter), {"action": "reopen", "reason": ""})
    assert answer.status_code == 200
    assert Calibration.objects.for_org(org).get().state == "published"
    assert (
        client.post(
            _board(org, quarter), {"action": "reopen", "reason": "Scores corrected"}
        ).status_code
        == 302
    )
    assert Calibration.objects.for_org(org).get().state == "open"


def test_another_organizations_period_is_not_found(org, other_org, hr, client, login, quarter):
    from metrics.services.periods import periods_generate

    theirs = periods_generate(org=other_org, fiscal_year=2026, by=None)
    their_quarter = next(p for p in theirs if p.kind == "quarter")
    login(hr)
    assert client.get(f"/o/{org.slug}/grades/?period={their_quarter.pk}").status_code == 404
    assert client.get(f"/o/{other_org.slug}/grades/").status_code == 404


def test_a_month_is_not_graded_by_default(org, hr, client, login, quarter):
    from metrics.models import Period

    month = Period.objects.for_org(org).filter(kind="month").first()
    login(hr)
    assert client.get(f"/o/{org.slug}/grades/?period={month.pk}").status_code == 404


def _scale_post(**changes):
    data = {
        "band-TOTAL_FORMS": "8",
        "band-INITIAL_FORMS": "0",
        "band-MIN_NUM_FORMS": "0",
        "band-MAX_NUM_FORMS": "8",
        "grade_quarters": "on",
        "grade_years": "on",
        "grouping": "by_kind",
        "publish_rule": "refuse",
    }
    rows = [
        ("优秀", "100", "1.2", "max", "20"),
        ("良好", "80", "1", "", ""),
        ("待改进", "", "0.7", "min", "5"),
    ]
    for i, (label, lowest, coefficient, kind, share) in enumerate(rows):
        data.update(
            {
                f"band-{i}-label": label,
                f"band-{i}-lowest": lowest,
                f"band-{i}-coefficient": coefficient,
                f"band-{i}-share_kind": kind,
                f"band-{i}-share_percent": share,
            }
        )
    data.update(changes)
    return data


def test_hr_saves_a_scale_of_three_grades(org, hr, client, login):
    login(hr)
    assert client.get(f"/o/{org.slug}/grades/scale/").status_code == 200
    answer = client.post(f"/o/{org.slug}/grades/scale/", _scale_post())
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert [b.label for b in selectors.scale_get(org=org)] == ["优秀", "良好", "待改进"]
    assert selectors.scale_get(org=org)[0].lowest == D(100)


def test_a_bad_scale_shows_each_error_beside_its_cell_and_saves_nothing(org, hr, client, login):
    login(hr)
    answer = client.post(
        f"/o/{org.slug}/grades/scale/",
        _scale_post(**{"band-1-lowest": "120", "band-2-coefficient": "", "grade_years": ""}),
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert 'id="id_band-1-lowest_error"' in page and "must be below" in page
    assert 'id="id_band-2-coefficient_error"' in page
    assert not GradeBand.objects.for_org(org).exists()


def test_only_hr_and_admins_edit_the_scale(org, role_users, client, login):
    for role, status in (("manager", 403), ("executive", 403), ("hr", 200), ("admin", 200)):
        login(role_users[role])
        assert client.get(f"/o/{org.slug}/grades/scale/").status_code == status, role


def test_the_board_costs_the_same_queries_at_two_sizes(
    org, hr, quarter, graded, client, login, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scorecards.models import Scorecard
    from tests.factories import make_department

    login(hr)
    client.get(_board(org, quarter))
    with CaptureQueriesContext(connection) as small:
        client.get(_board(org, quarter))
    for i in range(10):
        department = make_department(org, code=f"x{i}")
        Scorecard.objects.create(
            organization=org,
            department=department,
            period=quarter,
            score=D(90),
            rolled_up_score=D(90),
            coverage=D(1),
            computed_at="2026-04-01T00:00Z",
        )
    with CaptureQueriesContext(connection) as large:
        client.get(_board(org, quarter))
    assert len(large) == len(small)


def test_published_grades_download_as_excel_for_calibrators_only(
    org, hr, manager, quarter, graded, client, login
):
    from io import BytesIO

    from openpyxl import load_workbook

    from grades.models import GradingPolicy

    GradingPolicy.objects.create(organization=org, publish_rule="override")
    login(hr)
    client.post(_board(org, quarter), {"action": "open"})
    calibration = Calibration.objects.for_org(org).get()
    url = f"/o/{org.slug}/grades/{calibration.pk}/export.xlsx"
    assert client.get(url).status_code == 404  # not published: nothing for payroll yet
    client.post(_board(org, quarter), {"action": "publish", "override_reason": "As computed"})
    assert "Coefficients for payroll" in client.get(_board(org, quarter)).content.decode()
    answer = client.get(url)
    assert answer.status_code == 200
    assert "grades-2026-" in answer["Content-Disposition"]
    sheet = load_workbook(BytesIO(answer.content)).worksheets[0]
    assert any("1.3" in str(c.value) or c.value == 1.3 for row in sheet.iter_rows() for c in row)
    login(manager)
    assert client.get(url).status_code == 403
