"""Comments on scorecards through the API (issue 17 "Commentary"): scorecard-comments/
(members read those of the departments they may see, filters `period` and `department`;
admin, HR and executives write) and scorecard-comments/{id}/ (DELETE: the author or an
admin) — every role, another organization, bad input naming the field and the list's
query count at two sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from departments.models import Membership
from metrics import selectors as metric_selectors
from metrics.services.periods import periods_generate
from scorecards.models import ScorecardComment
from scorecards.services import comment_add
from tests.factories import make_department

pytestmark = pytest.mark.django_db

URL = "/api/v1/orgs/acme/scorecard-comments/"


def _member(user):
    return Membership.objects.unscoped().get(user=user)


@pytest.fixture
def world(computed, org, sales):
    """The scorecards conftest's computed March, with Sales' revenue KPI and HR's
    department (which the manager, of Sales, does not manage)."""
    kpi = metric_selectors.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    return {**computed, "kpi": kpi, "sales": sales}


@pytest.fixture
def comment(org, executive, world):
    """The executive's comment on Sales' revenue line in March."""
    return comment_add(
        org=org,
        membership=_member(executive),
        department=world["sales"],
        period=world["month"],
        kpi=world["kpi"],
        text="Why so low?",
    )


@pytest.fixture
def foreign_comment(other_org):
    period = periods_generate(org=other_org, fiscal_year=2026, by=None)[0]
    return ScorecardComment.objects.create(
        organization=other_org,
        department=make_department(other_org, code="far"),
        period=period,
        text="Theirs",
        at=timezone.now(),
    )


# --- who may do what ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive", "outsider"])
def test_every_role_gets_its_answer_on_every_endpoint(api, role_users, role, world, comment):
    client = api(role_users[role])
    body = {"department": world["sales"].pk, "period": world["month"].pk, "text": "Noted"}
    answers = [
        ("get", URL, None, {"admin": 200, "hr": 200, "manager": 200, "executive": 200}),
        ("post", URL, body, {"admin": 201, "hr": 201, "manager": 403, "executive": 201}),
        # the executive wrote it: the author or an admin removes it
        (
            "delete",
            f"{URL}{comment.pk}/",
            None,
            {"admin": 204, "hr": 403, "manager": 403, "executive": 204},
        ),
    ]
    wrong = []
    for method, url, data, expected in answers:
        want = {"outsider": 404, **expected}[role]
        response = getattr(client, method)(url, data, format="json")
        if response.status_code != want:
            wrong.append((method, url, response.status_code, want, response.content[:300]))
    assert wrong == []


def test_an_outsider_changes_nothing(api, outsider, world, comment):
    client = api(outsider)
    client.post(URL, {"department": world["sales"].pk, "period": world["month"].pk,
                      "text": "x"}, format="json")  # fmt: skip
    client.delete(f"{URL}{comment.pk}/")
    assert list(ScorecardComment.objects.unscoped().values_list("text", flat=True)) == [
        "Why so low?"
    ]


def test_another_organizations_comment_is_neither_listed_nor_removed(
    api, admin, comment, foreign_comment
):
    client = api(admin)
    assert [c["id"] for c in client.get(URL).json()["results"]] == [comment.pk]
    assert client.delete(f"{URL}{foreign_comment.pk}/").status_code == 404
    assert ScorecardComment.objects.unscoped().filter(pk=foreign_comment.pk).exists()


def test_a_manager_reads_only_their_departments_comments(api, org, hr, manager, world, comment):
    on_hr = comment_add(org=org, membership=_member(hr), department=world["hr_dept"],
                        period=world["month"], text="HR's turn")  # fmt: skip
    assert api(hr).get(URL).json()["count"] == 2
    mine = api(manager).get(URL).json()
    assert [c["id"] for c in mine["results"]] == [comment.pk]
    # a department they may not see: filtered out, and its comment is not found
    assert api(manager).get(URL, {"department": world["hr_dept"].pk}).json()["count"] == 0
    assert api(manager).delete(f"{URL}{on_hr.pk}/").status_code == 404
    assert ScorecardComment.objects.for_org(org).count() == 2


# --- reading --------------------------------------------------------------------------


def test_the_list_answers_every_field_and_filters_by_period_and_department(
    api, org, hr, manager, executive, world, comment
):
    april = metric_selectors.period_list(org=org, kind="month").get(number=4)
    comment_add(org=org, membership=_member(hr), department=world["hr_dept"],
                period=april, text="April, HR")  # fmt: skip
    client = api(manager)
    row = client.get(URL).json()["results"][0]
    assert row == {
        "id": comment.pk,
        "department": world["sales"].pk,
        "period": world["month"].pk,
        "kpi": world["kpi"].pk,
        "text": "Why so low?",
        "by": "eve-exec",
        "by_name": "eve-exec",
        "at": row["at"],
    }
    assert row["at"]
    client = api(hr)
    assert [c["text"] for c in client.get(URL).json()["results"]] == ["Why so low?", "April, HR"]
    by_period = client.get(URL, {"period": april.pk}).json()
    assert [c["text"] for c in by_period["results"]] == ["April, HR"]
    by_department = client.get(URL, {"department": world["sales"].pk}).json()
    assert [c["text"] for c in by_department["results"]] == ["Why so low?"]
    page = client.get(URL, {"limit": 1}).json()
    assert (page["count"], len(page["results"]), bool(page["next"])) == (2, 1, True)


@pytest.mark.parametrize("name", ["period", "department"])
def test_a_bad_filter_is_refused_naming_it(api, hr, world, name):
    response = api(hr).get(URL, {name: "abc"})
    assert response.status_code == 400
    assert set(response.json()) == {name}


# --- writing --------------------------------------------------------------------------


def test_an_executive_comments_a_line_and_the_scorecard_as_a_whole(api, org, executive, world):
    client = api(executive)
    line = client.post(URL, {"department": world["sales"].pk, "period": world["month"].pk,
                             "kpi": world["kpi"].pk, "text": "  Why so low?  "},
                       format="json")  # fmt: skip
    assert line.status_code == 201, line.json()
    assert (line.json()["kpi"], line.json()["text"], line.json()["by"]) == (
        world["kpi"].pk,
        "Why so low?",
        "eve-exec",
    )
    whole = client.post(URL, {"department": world["sales"].pk, "period": world["month"].pk,
                              "kpi": None, "text": "Good quarter"}, format="json")  # fmt: skip
    assert whole.status_code == 201 and whole.json()["kpi"] is None
    stored = ScorecardComment.objects.for_org(org).get(pk=whole.json()["id"])
    assert (stored.by, stored.period, stored.kpi) == (executive, world["month"], None)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"period": "month", "text": "x"}, "department"),
        ({"department": 999999, "period": "month", "text": "x"}, "department"),
        ({"department": "abc", "period": "month", "text": "x"}, "department"),
        ({"department": "foreign", "period": "month", "text": "x"}, "department"),
        ({"department": "sales", "text": "x"}, "period"),
        ({"department": "sales", "period": "foreign", "text": "x"}, "period"),
        ({"department": "sales", "period": "month", "kpi": "hr", "text": "x"}, "kpi"),
        ({"department": "sales", "period": "month", "kpi": 999999, "text": "x"}, "kpi"),
        ({"department": "sales", "period": "month"}, "text"),
        ({"department": "sales", "period": "month", "text": "   "}, "text"),
        ({"department": "sales", "period": "month", "text": "x" * 2001}, "text"),
        ({"department": "sales", "period": "month", "text": "a\x00b"}, "text"),
        ({"department": "sales", "period": "month", "text": "a\x07b"}, "text"),
        ({"department": "sales", "period": "month", "text": "x", "by": 1}, "by"),
    ],
)
def test_a_bad_comment_is_refused_naming_the_field(api, org, other_org, hr, world, body, field):
    hr_kpi = metric_selectors.kpi_list(org=org, department=world["hr_dept"]).first()
    foreign_period = periods_generate(org=other_org, fiscal_year=2026, by=None)[0]
    ids = {
        "department": {"sales": world["sales"].pk,
                       "foreign": make_department(other_org, code="far").pk},
        "period": {"month": world["month"].pk, "foreign": foreign_period.pk},
        "kpi": {"hr": hr_kpi.pk},  # a KPI of another department
    }  # fmt: skip
    body = {k: ids.get(k, {}).get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api(hr).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert set(response.json()) == {field}, response.json()
    assert not ScorecardComment.objects.unscoped().exists()


def test_the_author_removes_their_comment_and_it_is_gone(api, org, executive, comment):
    client = api(executive)
    assert client.delete(f"{URL}{comment.pk}/").status_code == 204
    assert not ScorecardComment.objects.for_org(org).exists()
    assert client.delete(f"{URL}{comment.pk}/").status_code == 404


# --- query counts -----------------------------------------------------------------------

# The request's own (history context twice, user, membership, organization settings) and
# the list's count and page (authors joined); a manager's departments once more. None per
# comment.
QUERIES = {"hr": 7, "manager": 8}


@pytest.mark.parametrize("extra", [0, 20])
def test_the_list_takes_a_fixed_number_of_queries(
    api, org, hr, admin, manager, world, comment, extra
):
    authors = [hr, admin]
    for i in range(extra):
        ScorecardComment.objects.create(
            organization=org,
            department=world["sales"],
            period=world["month"],
            text=f"Note {i}",
            by=authors[i % 2],
            at=timezone.now(),
        )
    counted = {}
    for role, user in (("hr", hr), ("manager", manager)):  # every department, and Sales
        with CaptureQueriesContext(connection) as queries:
            listed = api(user).get(URL, {"period": world["month"].pk, "limit": 100})
        assert listed.json()["count"] == 1 + extra
        counted[role] = len(queries)
    # at most as many with 20 more comments as with one: no query per row
    assert {k: min(n, QUERIES[k]) for k, n in counted.items()} == counted, (counted, QUERIES)
