"""The grades API (SPEC §9 through SPEC §6): grade-scales/, calibrations/ (open, board, move,
publish, reopen) and grades/ — every role, another organization, bad input, the whole flow
and the board's query count."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from departments.services import department_update
from grades import services
from grades.api.views import band_errors
from grades.models import Calibration, CalibrationGrade, GradeBand, GradingPolicy
from metrics.services.periods import periods_generate
from scorecards.models import Scorecard
from tests.factories import make_department

from .conftest import member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs/acme/"

SCALE = {
    "bands": [
        {"label": "S", "lowest_score": "110", "coefficient": "1.3", "share_kind": "max",
         "share_percent": "10"},
        {"label": "A", "lowest_score": "100", "coefficient": "1.15", "share_kind": "max",
         "share_percent": "20"},
        {"label": "B", "lowest_score": "85", "coefficient": "1.0"},
        {"label": "C", "lowest_score": "70", "coefficient": "0.8"},
        {"label": "D", "lowest_score": None, "coefficient": "0.5", "share_kind": "min",
         "share_percent": "5"},
    ],
    "grade_months": False,
    "grade_quarters": True,
    "grade_years": True,
    "grouping": "by_kind",
    "publish_rule": "refuse",
}  # fmt: skip


def _scale(**changes):
    body = {**SCALE, "bands": [dict(b) for b in SCALE["bands"]]}
    for key, value in changes.items():
        if key[:4] == "band" and key[4:5].isdigit():  # band1_lowest_score="120"
            index, field = key[4:].split("_", 1)
            body["bands"][int(index)][field] = value
        else:
            body[key] = value
    return body


@pytest.fixture
def opened(org, hr, quarter, graded):
    return services.calibration_open(org=org, membership=member(hr), period=quarter)


@pytest.fixture
def foreign_calibration(other_org):
    period = periods_generate(org=other_org, fiscal_year=2026, by=None)[0]
    return Calibration.objects.create(
        organization=other_org, period=period, opened_at=timezone.now()
    )


# --- who may do what ----------------------------------------------------------------


READ_ALL = {"admin": 200, "hr": 200, "manager": 200, "executive": 200, "outsider": 404}
CALIBRATORS = {"admin": 200, "hr": 200, "manager": 403, "executive": 200, "outsider": 404}
GRADE_MANAGERS = {"admin": 200, "hr": 200, "manager": 403, "executive": 403, "outsider": 404}


@pytest.mark.parametrize("role", list(READ_ALL))
def test_every_role_gets_its_answer_on_every_endpoint(api, role_users, role, opened, graded):
    client = api(role_users[role])
    pk = opened.pk
    answers = [
        ("get", "grade-scales/", None, READ_ALL),
        ("put", "grade-scales/", SCALE, GRADE_MANAGERS),
        ("get", "calibrations/", None, CALIBRATORS),
        # the calibration exists: opening it again answers it as it is (200)
        ("post", "calibrations/", {"period": opened.period_id}, GRADE_MANAGERS),
        ("get", f"calibrations/{pk}/", None, CALIBRATORS),
        (
            "post",
            f"calibrations/{pk}/move/",
            {"department": graded["b5"].pk, "grade": "B"},
            {
                **CALIBRATORS,
                "admin": 400,  # b5 is a B already: allowed in, refused by the rules
                "hr": 400,
                "executive": 400,
            },
        ),
        (
            "post",
            f"calibrations/{pk}/publish/",
            {},
            {
                **CALIBRATORS,
                "admin": 400,  # the guideline is not met
                "hr": 400,
                "executive": 400,
            },
        ),
        (
            "post",
            f"calibrations/{pk}/reopen/",
            {"reason": "why"},
            {
                **CALIBRATORS,
                "admin": 400,  # not published
                "hr": 400,
                "executive": 400,
            },
        ),
        ("get", "grades/", None, READ_ALL),
    ]
    wrong = []
    for method, path, body, expected in answers:
        response = getattr(client, method)(BASE + path, body, format="json")
        if response.status_code != expected[role]:
            wrong.append((method, path, response.status_code, expected[role], response.json()))
    assert wrong == []


def test_a_calibration_of_another_organization_is_not_found(api, admin, foreign_calibration):
    client = api(admin)
    pk = foreign_calibration.pk
    assert client.get(f"{BASE}calibrations/{pk}/").status_code == 404
    for action in ("move", "publish", "reopen"):
        response = client.post(f"{BASE}calibrations/{pk}/{action}/", {"reason": "x"}, format="json")
        assert response.status_code == 404, action
    assert client.get(f"{BASE}calibrations/").json()["results"] == []


def test_an_outsider_changes_nothing(api, outsider, opened, graded):
    client = api(outsider)
    client.put(BASE + "grade-scales/", SCALE, format="json")
    client.post(f"{BASE}calibrations/{opened.pk}/move/", {"department": graded["b2"].pk,
                "grade": "A", "reason": "x"}, format="json")  # fmt: skip
    assert not GradeBand.objects.unscoped().exists()
    assert not CalibrationGrade.objects.unscoped().exists()


# --- grade-scales/ --------------------------------------------------------------------


def test_the_default_scale_is_read_until_hr_saves_one(api, manager):
    body = api(manager).get(BASE + "grade-scales/").json()
    assert [(b["label"], b["lowest_score"], b["coefficient"]) for b in body["bands"]] == [
        ("S", "110.0000", "1.300"),
        ("A", "100.0000", "1.150"),
        ("B", "85.0000", "1.000"),
        ("C", "70.0000", "0.800"),
        ("D", None, "0.500"),
    ]
    assert body["bands"][0]["share_kind"] == "max" and body["bands"][0]["share_percent"] == "10.00"
    assert (body["grouping"], body["publish_rule"], body["grade_quarters"]) == (
        "by_kind",
        "refuse",
        True,
    )


def test_hr_replaces_the_scale_and_policy(api, org, hr):
    body = _scale(grouping="company", publish_rule="override", grade_months=True)
    body["bands"] = body["bands"][2:]  # B, C, D
    body["bands"][0]["lowest_score"] = "90"
    response = api(hr).put(BASE + "grade-scales/", body, format="json")
    assert response.status_code == 200, response.json()
    assert [b["label"] for b in response.json()["bands"]] == ["B", "C", "D"]
    assert response.json()["grouping"] == "company"
    assert list(GradeBand.objects.for_org(org).values_list("label", "lowest_score")) == [
        ("B", Decimal(90)),
        ("C", Decimal(70)),
        ("D", None),
    ]
    policy = GradingPolicy.objects.for_org(org).get()
    assert (policy.grade_months, policy.publish_rule) == (True, "override")


@pytest.mark.parametrize(
    "body, errors",
    [
        # the service's rules, per grade: nested under bands at the grade's index
        (_scale(band1_lowest_score="120"), {"bands": {"1": {"lowest_score"}}}),
        (_scale(band4_lowest_score="10"), {"bands": {"4": {"lowest_score"}}}),
        (_scale(band2_label="s"), {"bands": {"2": {"label"}}}),
        (_scale(band2_share_kind="max"), {"bands": {"2": {"share_percent"}}}),
        (_scale(band0_share_percent="150"), {"bands": {"0": {"share_percent"}}}),
        (_scale(band0_lowest_score="99999.5"), {"bands": {"0": {"lowest_score"}}}),
        (
            _scale(band1_lowest_score="120", band2_label="a"),
            {"bands": {"1": {"lowest_score"}, "2": {"label"}}},
        ),
        # the serializer's, in the same shape
        (_scale(band3_coefficient="abc"), {"bands": {"3": {"coefficient"}}}),
        (_scale(band3_coefficient="-1"), {"bands": {"3": {"coefficient"}}}),
        (_scale(band0_share_kind="most"), {"bands": {"0": {"share_kind"}}}),
        (_scale(band0_colour="red"), {"bands": {"0": {"colour"}}}),
        (_scale(bands=SCALE["bands"][:1]), {"bands": {"non_field_errors"}}),
        (_scale(bands=[]), {"bands": {"non_field_errors"}}),
        # the policy
        (_scale(grade_quarters=False, grade_years=False), {"grade_quarters"}),
        (_scale(grouping="team"), {"grouping"}),
        (_scale(publish_rule=""), {"publish_rule"}),
        ({k: v for k, v in SCALE.items() if k != "grouping"}, {"grouping"}),
    ],
)
def test_a_bad_scale_is_refused_naming_the_grade_and_field(api, org, hr, body, errors):
    response = api(hr).put(BASE + "grade-scales/", body, format="json")
    assert response.status_code == 400
    got = response.json()
    if isinstance(errors, set):
        assert set(got) == errors, got
    else:
        assert set(got) == {"bands"}, got
        bands = got["bands"]
        if isinstance(errors["bands"], set):
            assert set(bands) == errors["bands"], got
        else:
            assert {i: set(fields) for i, fields in bands.items()} == errors["bands"], got
    assert not GradeBand.objects.unscoped().exists()
    assert not GradingPolicy.objects.unscoped().exists()


def test_the_scale_messages_name_the_reason(api, hr):
    response = api(hr).put(BASE + "grade-scales/", _scale(band1_lowest_score="120"), format="json")
    assert response.json()["bands"]["1"]["lowest_score"] == [
        "Each grade's lowest score must be below the one of the grade above."
    ]


def test_service_errors_take_the_serializers_shape():
    exc = ValidationError(
        {"bands": ["Too few."], "bands.0.lowest": ["Too high."], "grouping": ["Choose."]}
    )
    assert band_errors(exc) == {
        "bands": {"non_field_errors": ["Too few."], "0": {"lowest_score": ["Too high."]}},
        "grouping": ["Choose."],
    }


# --- calibrations/ --------------------------------------------------------------------


def test_opening_answers_201_then_the_same_calibration_with_200(api, hr, quarter, graded):
    client = api(hr)
    first = client.post(BASE + "calibrations/", {"period": quarter.pk}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["period"] == quarter.pk
    assert first.json()["period_kind"] == "quarter"
    assert first.json()["state"] == "open"
    assert first.json()["opened_by"] == "harry-hr"
    again = client.post(BASE + "calibrations/", {"period": quarter.pk}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    listed = client.get(BASE + "calibrations/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["period_label"] == quarter.label


@pytest.mark.parametrize(
    "body, field",
    [
        ({"period": 999999}, "period"),
        ({"period": "abc"}, "period"),
        ({}, "period"),
        ({"period": "month"}, "period"),  # replaced by March's id below: not graded
        ({"period": "foreign"}, "period"),  # replaced by another organization's period
        ({"period": "quarter", "note": "x"}, "note"),
    ],
)
def test_opening_refuses_bad_input_naming_the_field(
    api, hr, other_org, quarter, graded, body, field
):
    from metrics.models import Period

    ids = {
        "month": Period.objects.for_org(quarter.organization).filter(kind="month").first().pk,
        "quarter": quarter.pk,
        "foreign": periods_generate(org=other_org, fiscal_year=2026, by=None)[0].pk,
    }
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api(hr).post(BASE + "calibrations/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}, response.json()
    assert not Calibration.objects.unscoped().exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"department": 999999, "grade": "A", "reason": "r"}, "department"),
        ({"department": "foreign", "grade": "A", "reason": "r"}, "department"),
        ({"department": "m3", "grade": "A", "reason": "r"}, "department"),  # no score
        ({"department": "b2", "grade": "Z", "reason": "r"}, "grade"),
        ({"department": "b2", "grade": "A"}, "reason"),
        ({"department": "b2", "grade": "A", "reason": "   "}, "reason"),
        ({"department": "b2", "grade": "A", "reason": "x" * 2001}, "reason"),
        ({"department": "b2", "grade": "A", "reason": "a\x00b"}, "reason"),
        ({"department": "b2", "grade": "S", "reason": "r"}, "grade"),  # already S
        ({"department": "b2", "reason": "r"}, "grade"),
    ],
)
def test_a_bad_move_is_refused_naming_the_field(
    api, executive, other_org, opened, graded, body, field
):
    ids = {code: d.pk for code, d in graded.items()}
    ids["foreign"] = make_department(other_org, code="far").pk
    body = {k: ids.get(v, v) if k == "department" else v for k, v in body.items()}
    response = api(executive).post(f"{BASE}calibrations/{opened.pk}/move/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}, response.json()
    assert not CalibrationGrade.objects.unscoped().exists()


def test_publishing_over_the_guideline_needs_a_reason_where_allowed(api, hr, opened):
    client = api(hr)
    assert (
        client.put(
            BASE + "grade-scales/", _scale(publish_rule="override"), format="json"
        ).status_code
        == 200
    )
    url = f"{BASE}calibrations/{opened.pk}/publish/"
    refused = client.post(url, {"override_reason": " "}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"override_reason"}
    published = client.post(url, {"override_reason": "Two record quarters"}, format="json")
    assert published.status_code == 200, published.json()
    assert published.json()["calibration"]["override_reason"] == "Two record quarters"
    assert published.json()["met"] is False


def test_reopening_needs_a_reason(api, hr, executive, opened, graded):
    client = api(executive)
    refused = client.post(f"{BASE}calibrations/{opened.pk}/reopen/", {}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"reason"}  # the serializer: the field is required


def test_the_whole_flow_from_opening_to_payroll_and_back(api, org, hr, executive, manager,
                                                         quarter, graded):  # fmt: skip
    department_update(department=graded["b2"], by=None, managers=[manager])
    hr_api, exec_api = api(hr), api(executive)
    opened = hr_api.post(BASE + "calibrations/", {"period": quarter.pk}, format="json")
    url = f"{BASE}calibrations/{opened.json()['id']}/"

    board = exec_api.get(url).json()
    rows = {r["department_code"]: r for r in board["rows"]}
    assert rows["b1"]["final_grade"] == "S" and rows["b1"]["coefficient"] == "1.300"
    assert rows["m3"]["score"] is None and rows["m3"]["final_grade"] is None
    assert rows["b2"]["department"] == graded["b2"].pk and rows["b2"]["kind"] == "business"
    checks = {c["group"]: c for c in board["checks"]}
    assert checks["business"]["n"] == 9 and checks["business"]["met"] is False
    s_limit = next(limit for limit in checks["business"]["limits"] if limit["label"] == "S")
    assert (s_limit["kind"], s_limit["bound"], s_limit["count"], s_limit["met"]) == (
        "max",
        1,
        2,
        False,
    )
    assert {"label": "S", "count": 2} in checks["business"]["counts"]
    assert [e["action"] for e in board["events"]] == ["open"]

    refused = exec_api.post(url + "publish/", {}, format="json")
    assert refused.status_code == 400 and "calibration" in refused.json()

    moved = exec_api.post(
        url + "move/",
        {"department": graded["b2"].pk, "grade": "A", "reason": "One-off contract"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    row = next(r for r in moved.json()["rows"] if r["department_code"] == "b2")
    assert (row["computed_grade"], row["final_grade"], row["moved"]) == ("S", "A", True)
    assert (row["reason"], row["moved_by"]) == ("One-off contract", "eve-exec")
    # now three A among nine business departments: at most two
    assert exec_api.post(url + "publish/", {}, format="json").status_code == 400
    exec_api.post(
        url + "move/",
        {"department": graded["b4"].pk, "grade": "B", "reason": "Late reports"},
        format="json",
    )

    published = exec_api.post(url + "publish/", {}, format="json")
    assert published.status_code == 200, published.json()
    assert published.json()["met"] is True
    assert published.json()["calibration"]["state"] == "published"
    assert published.json()["calibration"]["published_by"] == "eve-exec"
    assert published.json()["calibration"]["override_reason"] == ""

    # a later change of the scale does not touch published coefficients
    bigger_a = _scale(band1_coefficient="2.0")
    assert hr_api.put(BASE + "grade-scales/", bigger_a, format="json").status_code == 200
    grades = hr_api.get(BASE + "grades/", {"period": quarter.pk}).json()
    # every active department: 11 scored, m3 and Sales (the manager's) without a score
    assert grades["count"] == 13
    by_code = {g["department_code"]: g for g in grades["results"]}
    assert (by_code["b2"]["final_grade"], by_code["b2"]["coefficient"]) == ("A", "1.150")
    assert by_code["b2"]["computed_grade"] == "S"
    assert by_code["b2"]["reason"] == "One-off contract"
    assert (by_code["b4"]["final_grade"], by_code["b4"]["coefficient"]) == ("B", "1.000")
    assert by_code["m3"]["final_grade"] is None and by_code["m3"]["coefficient"] is None
    assert by_code["b1"]["period"] == quarter.pk
    assert by_code["b1"]["period_label"] == quarter.label
    assert by_code["b1"]["score"] == "115.0000"
    # a manager sees only the departments they manage (Sales since the fixture, and b2)
    mine = api(manager).get(BASE + "grades/").json()
    assert [g["department_code"] for g in mine["results"]] == ["b2", "sales"]
    # another period's filter finds nothing
    assert hr_api.get(BASE + "grades/", {"period": quarter.pk + 1}).json()["count"] == 0
    # the frozen board, as published
    frozen = exec_api.get(url).json()
    assert next(r for r in frozen["rows"] if r["department_code"] == "b2")["coefficient"] == "1.150"

    reopened = exec_api.post(url + "reopen/", {"reason": "Audit correction"}, format="json")
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["calibration"]["state"] == "open"
    events = reopened.json()["events"]
    assert [(e["action"], e["from_grade"], e["to_grade"]) for e in events] == [
        ("open", None, None),
        ("move", "S", "A"),
        ("move", "A", "B"),
        ("publish", None, None),
        ("reopen", None, None),
    ]
    assert events[1]["department"] == graded["b2"].pk
    assert events[1]["department_code"] == "b2"
    assert events[1]["by"] == "eve-exec"
    assert events[-1]["reason"] == "Audit correction"
    # reopened: the live board follows the scale again, and nothing is published any more
    live = next(r for r in reopened.json()["rows"] if r["department_code"] == "b2")
    assert live["coefficient"] == "2.000"
    assert hr_api.get(BASE + "grades/").json()["count"] == 0
    assert exec_api.post(url + "reopen/", {"reason": "again"}, format="json").status_code == 400


def test_the_grades_list_is_paginated_and_filtered_by_department(api, hr, opened, graded):
    client = api(hr)
    client.put(BASE + "grade-scales/", _scale(publish_rule="override"), format="json")
    client.post(f"{BASE}calibrations/{opened.pk}/publish/", {"override_reason": "ok"},
                format="json")  # fmt: skip
    page = client.get(BASE + "grades/", {"limit": 5}).json()
    assert (page["count"], len(page["results"])) == (12, 5)
    assert page["next"]
    one = client.get(BASE + "grades/", {"department": graded["b9"].pk}).json()
    assert [g["final_grade"] for g in one["results"]] == ["C"]
    bad = client.get(BASE + "grades/", {"period": "abc"})
    assert bad.status_code == 400 and set(bad.json()) == {"period"}


# --- query counts ---------------------------------------------------------------------


def _more_departments(org, period, n):
    for i in range(n):
        kind, function = ("business", "sales") if i % 2 else ("management", "hr")
        department = make_department(org, code=f"x{i}", kind=kind, function=function)
        Scorecard.objects.create(
            organization=org,
            department=department,
            period=period,
            score=Decimal(60 + i),
            rolled_up_score=Decimal(60 + i),
            coverage=Decimal(1),
            computed_at=timezone.now(),
        )


# The request's own (session, membership, tenant settings, the calibration) and the
# board's: policy, scale, departments and their managers, stored grades, scorecards or
# the published rows' departments, events. None per department.
# the board: + the appeals of the calibration (one query)
QUERIES = {"live board": 14, "published board": 15, "grades": 7}


@pytest.mark.parametrize("extra", [0, 30])
def test_the_board_and_the_grades_take_a_fixed_number_of_queries(
    api, org, hr, executive, quarter, opened, graded, extra
):
    _more_departments(org, quarter, extra)
    client = api(executive)
    url = f"{BASE}calibrations/{opened.pk}/"
    for code in ("b2", "b4", "m1"):
        services.calibration_move(
            org=org,
            membership=member(hr),
            calibration=opened,
            department=graded[code],
            grade="B",
            reason="r",
        )
    counted = {}
    with CaptureQueriesContext(connection) as queries:
        live = client.get(url)
    counted["live board"] = len(queries)
    assert len(live.json()["rows"]) == 12 + extra
    assert live.json()["met"]
    services.calibration_publish(org=org, membership=member(hr), calibration=opened)
    with CaptureQueriesContext(connection) as queries:
        frozen = client.get(url)
    counted["published board"] = len(queries)
    assert len(frozen.json()["rows"]) == 12 + extra
    with CaptureQueriesContext(connection) as queries:
        grades = client.get(BASE + "grades/", {"limit": 1000})
    counted["grades"] = len(queries)
    assert len(grades.json()["results"]) == 12 + extra
    # at most as many with 30 more departments as with none: no query per row
    assert {k: min(n, QUERIES[k]) for k, n in counted.items()} == counted, (counted, QUERIES)
