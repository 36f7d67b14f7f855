"""Appeals through the API (issue 17): calibrations/{id}/appeals/ (a calibration's appeals:
every department's for admin, HR and executives, a manager's own departments'; raised by
the department's manager) and appeals/{appeal_pk}/resolve/ (admin, HR, executives), and
the appeal on each row of the board — every role, another organization, bad input naming
the field, the whole flow and the list's query count at two sizes."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from departments.models import DepartmentManager, Role
from grades import services
from grades.models import (
    Calibration,
    CalibrationGrade,
    GradeAppeal,
    GradingPolicy,
)
from metrics.models import Period
from metrics.services.periods import periods_generate
from tests.factories import MembershipFactory, UserFactory, make_department

from .conftest import member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs/acme/"


@pytest.fixture
def published(org, hr, executive, manager, quarter, graded):
    """The quarter published as computed (override allowed); `manager` manages b5 and b6
    (B and B) and m3 (no score)."""
    for code in ("b5", "b6", "m3"):
        DepartmentManager.objects.create(organization=org, department=graded[code], user=manager)
    GradingPolicy.objects.create(organization=org, publish_rule="override")
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    services.calibration_publish(
        org=org, membership=member(executive), calibration=calibration, override_reason="As is"
    )
    return calibration


@pytest.fixture
def appeal(org, manager, published, graded):
    """b6's appeal, open."""
    return services.appeal_raise(
        org=org,
        membership=member(manager),
        calibration=published,
        department=graded["b6"],
        reason="Two large orders slipped into April",
    )


@pytest.fixture
def foreign_appeal(other_org):
    """An appeal of another organization (its calibration published, its department)."""
    period = next(
        p for p in periods_generate(org=other_org, fiscal_year=2026, by=None) if p.kind == "quarter"
    )
    calibration = Calibration.objects.create(
        organization=other_org, period=period, opened_at=timezone.now(), state="published"
    )
    return GradeAppeal.objects.create(
        organization=other_org,
        calibration=calibration,
        department=make_department(other_org, code="far"),
        grade="B",
        reason="Theirs",
        raised_at=timezone.now(),
    )


def _url(calibration, rest=""):
    return f"{BASE}calibrations/{calibration.pk}/appeals/{rest}"


# --- who may do what ----------------------------------------------------------------

ROLES = ["admin", "hr", "manager", "executive", "outsider"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_its_answer_on_every_endpoint(
    api, role_users, role, published, appeal, graded
):
    client = api(role_users[role])
    answers = [
        ("get", _url(published), None, {"manager": 200}),
        # the department's manager appeals; nobody else may, whatever the role
        (
            "post",
            _url(published),
            {"department": graded["b5"].pk, "reason": "Target raised mid-quarter"},
            {"admin": 403, "hr": 403, "manager": 201, "executive": 403},
        ),
        (
            "post",
            _url(published, f"{appeal.pk}/resolve/"),
            {"grade": "B", "reason": "Checked the orders"},
            {"admin": 200, "hr": 200, "manager": 403, "executive": 200},
        ),
        # the board stays with those who calibrate
        ("get", f"{BASE}calibrations/{published.pk}/", None, {"manager": 403}),
    ]
    wrong = []
    for method, url, body, expected in answers:
        want = {"admin": 200, "hr": 200, "executive": 200, "outsider": 404, **expected}[role]
        response = getattr(client, method)(url, body, format="json")
        if response.status_code != want:
            wrong.append((method, url, response.status_code, want, response.json()))
    assert wrong == []


def test_an_outsider_changes_nothing(api, outsider, published, appeal, graded):
    client = api(outsider)
    client.post(_url(published), {"department": graded["b5"].pk, "reason": "x"}, format="json")
    client.post(_url(published, f"{appeal.pk}/resolve/"), {"grade": "A", "reason": "x"},
                format="json")  # fmt: skip
    assert list(GradeAppeal.objects.unscoped().values_list("department__code", "state")) == [
        ("b6", "open")
    ]


def test_another_organizations_calibration_and_appeal_are_not_found(
    api, admin, executive, published, appeal, foreign_appeal
):
    foreign = foreign_appeal.calibration
    client = api(executive)
    assert client.get(_url(foreign)).status_code == 404
    assert (
        client.post(_url(foreign), {"department": 1, "reason": "x"}, format="json").status_code
        == 404
    )
    resolve = {"grade": "A", "reason": "x"}
    # their appeal, under their calibration or under ours
    for url in (_url(foreign, f"{foreign_appeal.pk}/resolve/"),
                _url(published, f"{foreign_appeal.pk}/resolve/")):  # fmt: skip
        assert client.post(url, resolve, format="json").status_code == 404, url
    assert GradeAppeal.objects.unscoped().get(pk=foreign_appeal.pk).state == "open"
    # and ours is not answered under another calibration of ours
    second = Period.objects.for_org(published.organization).get(kind="quarter", number=2)
    other = services.calibration_open(
        org=published.organization, membership=member(admin), period=second
    )
    assert (
        client.post(_url(other, f"{appeal.pk}/resolve/"), resolve, format="json").status_code == 404
    )


def test_a_manager_sees_only_their_departments_appeals(
    api, org, hr, manager, published, appeal, graded
):
    someone = UserFactory(username="max-manager")
    MembershipFactory(organization=org, user=someone, role=Role.MANAGER)
    DepartmentManager.objects.create(organization=org, department=graded["b1"], user=someone)
    services.appeal_raise(org=org, membership=member(someone), calibration=published,
                          department=graded["b1"], reason="Ours too")  # fmt: skip
    assert [a["department_code"] for a in api(hr).get(_url(published)).json()["results"]] == [
        "b1",
        "b6",
    ]
    mine = api(manager).get(_url(published)).json()
    assert (mine["count"], [a["department_code"] for a in mine["results"]]) == (1, ["b6"])
    theirs = api(someone).get(_url(published)).json()["results"]
    assert [a["department_code"] for a in theirs] == ["b1"]


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "r"}, "department"),
        ({"department": 999999, "reason": "r"}, "department"),
        ({"department": "abc", "reason": "r"}, "department"),
        ({"department": "foreign", "reason": "r"}, "department"),
        ({"department": "m3", "reason": "r"}, "department"),  # no score, no grade
        ({"department": "b6", "reason": "again"}, "department"),  # appealed once already
        ({"department": "b5"}, "reason"),
        ({"department": "b5", "reason": "  "}, "reason"),
        ({"department": "b5", "reason": "x" * 2001}, "reason"),
        ({"department": "b5", "reason": "a\x00b"}, "reason"),
        ({"department": "b5", "reason": "a\x07b"}, "reason"),
        ({"department": "b5", "reason": "r", "grade": "A"}, "grade"),  # not part of it
    ],
)
def test_a_bad_appeal_is_refused_naming_the_field(
    api, manager, other_org, published, appeal, graded, body, field
):
    ids = {code: d.pk for code, d in graded.items()}
    ids["foreign"] = make_department(other_org, code="far").pk
    body = {k: ids.get(v, v) if k == "department" else v for k, v in body.items()}
    response = api(manager).post(_url(published), body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()) == {field}, response.json()
    assert GradeAppeal.objects.unscoped().count() == 1


def test_an_open_calibration_cannot_be_appealed(api, org, manager, executive, published, graded):
    services.calibration_reopen(org=org, membership=member(executive), calibration=published,
                                reason="Audit")  # fmt: skip
    response = api(manager).post(_url(published), {"department": graded["b5"].pk,
                                                   "reason": "r"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert set(response.json()) == {"calibration"}


def test_a_manager_cannot_appeal_a_department_they_do_not_manage(api, manager, published, graded):
    response = api(manager).post(_url(published), {"department": graded["b1"].pk,
                                                   "reason": "r"}, format="json")  # fmt: skip
    assert response.status_code == 403
    assert not GradeAppeal.objects.unscoped().exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"grade": "Z", "reason": "r"}, "grade"),
        ({"grade": "", "reason": "r"}, "grade"),
        ({"grade": "ABCDEFGHIJK", "reason": "r"}, "grade"),
        ({"reason": "r"}, "grade"),
        ({"grade": "A"}, "reason"),
        ({"grade": "A", "reason": " "}, "reason"),
        ({"grade": "A", "reason": "x" * 2001}, "reason"),
        ({"grade": "A", "reason": "a\x00b"}, "reason"),
        ({"grade": "A", "reason": "r", "department": 1}, "department"),
    ],
)
def test_a_bad_resolution_is_refused_naming_the_field(
    api, org, executive, published, appeal, graded, body, field
):
    response = api(executive).post(_url(published, f"{appeal.pk}/resolve/"), body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()) == {field}, response.json()
    assert GradeAppeal.objects.for_org(org).get().state == "open"
    assert CalibrationGrade.objects.for_org(org).get(department=graded["b6"]).final == "B"


def test_an_appeal_is_decided_once_and_not_while_reopened(api, org, executive, published, appeal):
    client = api(executive)
    url = _url(published, f"{appeal.pk}/resolve/")
    client.post(f"{BASE}calibrations/{published.pk}/reopen/", {"reason": "Audit"}, format="json")
    reopened = client.post(url, {"grade": "A", "reason": "r"}, format="json")
    assert reopened.status_code == 400 and set(reopened.json()) == {"appeal"}
    services.calibration_publish(org=org, membership=member(executive), calibration=published,
                                 override_reason="As is")  # fmt: skip
    assert client.post(url, {"grade": "B", "reason": "Fine"}, format="json").status_code == 200
    again = client.post(url, {"grade": "A", "reason": "r"}, format="json")
    assert again.status_code == 400 and set(again.json()) == {"appeal"}


# --- the whole flow -------------------------------------------------------------------


def test_the_manager_appeals_the_executive_changes_the_grade_and_payroll_follows(
    api, org, hr, manager, executive, published, graded, quarter,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    manager_api, exec_api = api(manager), api(executive)
    # the manager finds the calibration in grades/
    mine = manager_api.get(BASE + "grades/", {"period": quarter.pk}).json()["results"]
    b5 = next(g for g in mine if g["department_code"] == "b5")
    assert (b5["calibration"], b5["final_grade"]) == (published.pk, "B")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        raised = manager_api.post(
            _url(published),
            {"department": graded["b5"].pk, "reason": "The Q1 target was raised mid-quarter"},
            format="json",
        )
    assert raised.status_code == 201, raised.json()
    body = raised.json()
    assert {k: body[k] for k in ("calibration", "department", "department_code", "grade",
                                 "reason", "raised_by", "state", "new_grade", "resolution",
                                 "resolved_by", "resolved_by_name", "resolved_at")} == {
        "calibration": published.pk,
        "department": graded["b5"].pk,
        "department_code": "b5",
        "grade": "B",
        "reason": "The Q1 target was raised mid-quarter",
        "raised_by": "mona-manager",
        "state": "open",
        "new_grade": None,
        "resolution": "",
        "resolved_by": None,
        "resolved_by_name": None,
        "resolved_at": None,
    }  # fmt: skip
    assert body["department_name"] == graded["b5"].display_name
    assert body["raised_by_name"] == "mona-manager" and body["raised_at"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([hr.email, executive.email])

    board = exec_api.get(f"{BASE}calibrations/{published.pk}/").json()
    rows = {r["department_code"]: r for r in board["rows"]}
    assert rows["b5"]["appeal"]["id"] == body["id"]
    assert rows["b5"]["appeal"]["state"] == "open"
    assert rows["b5"]["appeal"]["raised_by"] == "mona-manager"
    assert rows["b1"]["appeal"] is None
    assert board["events"][-1]["action"] == "appeal"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = exec_api.post(
            _url(published, f"{body['id']}/resolve/"),
            {"grade": "A", "reason": "Fair point: the target moved"},
            format="json",
        )
    assert decided.status_code == 200, decided.json()
    decided = decided.json()
    assert (decided["state"], decided["grade"], decided["new_grade"]) == ("changed", "B", "A")
    assert (decided["resolution"], decided["resolved_by"]) == (
        "Fair point: the target moved",
        "eve-exec",
    )
    assert decided["resolved_at"]
    assert [m.to[0] for m in mail.outbox] == [manager.email]

    grade = next(
        g
        for g in manager_api.get(BASE + "grades/", {"department": graded["b5"].pk}).json()[
            "results"
        ]
    )
    assert (grade["final_grade"], grade["coefficient"]) == ("A", "1.150")
    listed = manager_api.get(_url(published)).json()["results"]
    assert [(a["department_code"], a["state"], a["new_grade"]) for a in listed] == [
        ("b5", "changed", "A")
    ]
    board = exec_api.get(f"{BASE}calibrations/{published.pk}/").json()
    row = next(r for r in board["rows"] if r["department_code"] == "b5")
    assert (row["final_grade"], row["appeal"]["state"]) == ("A", "changed")
    assert [(e["action"], e["from_grade"], e["to_grade"]) for e in board["events"][-2:]] == [
        ("appeal", "B", None),
        ("resolve", "B", "A"),
    ]


def test_upholding_keeps_the_grade(api, org, hr, published, appeal, graded):
    response = api(hr).post(
        _url(published, f"{appeal.pk}/resolve/"), {"grade": "B", "reason": "Checked"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["new_grade"]) == ("upheld", None)
    assert CalibrationGrade.objects.for_org(org).get(department=graded["b6"]).final == "B"


# --- query counts -----------------------------------------------------------------------

# The request's own (history context twice, user, membership, organization settings), the
# calibration, the count and the page (departments and people joined); a manager's
# departments once more. None per appeal.
QUERIES = {"hr": 8, "manager": 9}


@pytest.mark.parametrize("extra", [0, 8])
def test_the_appeals_list_takes_a_fixed_number_of_queries(
    api, org, hr, manager, published, appeal, graded, extra
):
    # b1 … b9 but b6 (the fixture's appeal); the manager manages b5 (and b6)
    codes = ["b1", "b2", "b3", "b4", "b5", "b7", "b8", "b9"][:extra]
    for code in codes:
        GradeAppeal.objects.create(
            organization=org,
            calibration=published,
            department=graded[code],
            grade="B",
            reason="r",
            raised_by=manager,
            raised_at=timezone.now(),
            state="upheld",
            resolution="ok",
            resolved_by=hr,
            resolved_at=timezone.now(),
        )
    counted = {}
    for role, user, count in (("hr", hr, 1 + extra), ("manager", manager, 1 + ("b5" in codes))):
        with CaptureQueriesContext(connection) as queries:
            listed = api(user).get(_url(published))
        assert listed.json()["count"] == count
        counted[role] = len(queries)
    # at most as many with 8 more appeals as with none: no query per row
    assert {k: min(n, QUERIES[k]) for k, n in counted.items()} == counted, (counted, QUERIES)
