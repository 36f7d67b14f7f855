"""Cross-department feedback: one rating per pair and period, editable until the period
locks, the rater person never shown, and the computed internal service satisfaction flowing
into the management department's scorecard (the reviews issue)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from metrics.models import Actual
from metrics.services.periods import period_lock
from reviews.models import Feedback
from reviews.services.feedback import feedback_save, satisfaction_value
from scorecards.models import ScorecardLine
from scorecards.rollup import recalculate

pytestmark = pytest.mark.django_db


def _satisfaction(org, department, period):
    return (
        Actual.objects.for_org(org)
        .filter(
            department=department,
            period=period,
            kpi__indicator__code="internal_service_satisfaction",
        )
        .first()
    )


@pytest.mark.parametrize(
    "ratings,expected",
    [([5], "100"), ([4], "80"), ([4, 5], "90"), ([1, 2, 2], "33.3333"), ([3, 4, 4], "73.3333")],
)
def test_satisfaction_is_average_over_5_times_100(ratings, expected):
    assert satisfaction_value(sum(ratings), len(ratings)) == Decimal(expected)


def test_no_rating_no_value():
    assert satisfaction_value(None, 0) is None


def test_feedback_flows_into_the_scorecard(org, sales, support):
    month, hr_dept = support["month"], support["hr_dept"]
    feedback_save(org=org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    feedback_save(
        org=org,
        period=month,
        rater_department=support["production"],
        rated_department=hr_dept,
        rating=5,
        comment="Quick hiring.",
    )
    actual = _satisfaction(org, hr_dept, month)
    assert actual.value == Decimal(90) and actual.source == "feedback"
    assert actual.entered_by is None
    recalculate(org=org, period_ids=[p.pk for p in support["periods"]])
    line = ScorecardLine.objects.for_org(org).get(department=hr_dept, period=month, kpi=actual.kpi)
    assert line.actual == Decimal(90)
    assert line.score is not None and line.status == "green"
    # Legal, created by hand, has the KPI too (weight 0: tracked): its rating is its actual.
    feedback_save(
        org=org, period=month, rater_department=sales, rated_department=support["legal"], rating=2
    )
    assert _satisfaction(org, support["legal"], month).value == Decimal(40)


def test_one_rating_per_pair_and_period_editable_until_lock(org, sales, support):
    month, hr_dept = support["month"], support["hr_dept"]
    first = feedback_save(
        org=org, period=month, rater_department=sales, rated_department=hr_dept, rating=2
    )
    second = feedback_save(
        org=org, period=month, rater_department=sales, rated_department=hr_dept, rating=5
    )
    assert first.pk == second.pk
    assert Feedback.objects.for_org(org).count() == 1
    assert _satisfaction(org, hr_dept, month).value == Decimal(100)
    assert _satisfaction(org, hr_dept, month).version == 2
    period_lock(period=month, by=None, reason="")
    month.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            org=org, period=month, rater_department=sales, rated_department=hr_dept, rating=1
        )
    assert "period" in refused.value.message_dict
    assert Feedback.objects.for_org(org).get().rating == 5


@pytest.mark.parametrize("rating", [0, 6, -1, None, "4", True, 3.5])
def test_rating_must_be_1_to_5(org, sales, support, rating):
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            org=org,
            period=support["month"],
            rater_department=sales,
            rated_department=support["hr_dept"],
            rating=rating,
        )
    assert "rating" in refused.value.message_dict
    assert not Feedback.objects.for_org(org).exists()


def test_only_business_rates_management(org, sales, support):
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            org=org,
            period=support["month"],
            rater_department=support["hr_dept"],
            rated_department=sales,
            rating=3,
        )
    assert set(refused.value.message_dict) == {"rater_department", "rated_department"}
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            org=org,
            period=support["quarter"],
            rater_department=sales,
            rated_department=support["hr_dept"],
            rating=3,
        )
    assert "period" in refused.value.message_dict


# --- API ----------------------------------------------------------------------------------


def _url(org, pk=None):
    return f"/api/v1/orgs/{org.slug}/feedback/" + (f"{pk}/" if pk else "")


def test_api_rules_and_anonymity(api, org, sales, support, manager, hr, outsider):
    month, hr_dept = support["month"], support["hr_dept"]
    body = {"period": month.pk, "rater_department": sales.pk, "rated_department": hr_dept.pk}
    created = api(manager).post(_url(org), {**body, "rating": 4, "comment": "ok"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert set(created.json()) == {
        "id",
        "period",
        "rater_department",
        "rated_department",
        "rating",
        "comment",
        "updated_at",
    }
    assert manager.username not in api(hr).get(_url(org)).content.decode()
    assert not {f.name for f in Feedback._meta.get_fields()} & {"user", "by", "rated_by", "author"}
    # Another business department's manager may not rate for Sales, nor HR.
    assert (
        api(support["other_manager"]).post(_url(org), {**body, "rating": 1}, format="json")
    ).status_code == 403
    assert api(hr).post(_url(org), {**body, "rating": 1}, format="json").status_code == 403
    bad = api(manager).post(_url(org), {**body, "rating": 9}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()
    edited = api(manager).put(_url(org, pk), {"rating": 2, "comment": ""}, format="json")
    assert edited.status_code == 200 and edited.json()["rating"] == 2
    assert _satisfaction(org, hr_dept, month).value == Decimal(40)
    # The other manager sees neither what Sales gave nor what HR received.
    assert api(support["other_manager"]).get(_url(org)).json()["count"] == 0
    assert api(support["other_manager"]).get(_url(org, pk)).status_code == 404
    for method in ("get", "put", "delete"):
        assert getattr(api(outsider), method)(_url(org, pk), {}, format="json").status_code == 404
    assert api(outsider).get(_url(org)).status_code == 404
    assert api(manager).delete(_url(org, pk)).status_code == 204
    assert _satisfaction(org, hr_dept, month) is None  # no rating, no actual


def test_api_refuses_another_orgs_ids_without_telling(api, org, other_org, sales, support, manager):
    from tests.factories import make_department

    theirs = make_department(other_org, code="hr", kind="management", function="hr")
    body = {"period": support["month"].pk, "rater_department": sales.pk, "rating": 3}
    foreign = api(manager).post(_url(org), {**body, "rated_department": theirs.pk}, format="json")
    missing = api(manager).post(_url(org), {**body, "rated_department": 999999}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == {
        k: [m.replace("999999", str(theirs.pk)) for m in v] for k, v in missing.json().items()
    }


# --- page ---------------------------------------------------------------------------------


def test_feedback_page_saves_all_or_nothing(login, org, sales, support, manager):
    month, hr_dept, legal = support["month"], support["hr_dept"], support["legal"]
    client = login(manager)
    url = f"/o/{org.slug}/feedback/?period={month.pk}"
    page = client.get(url)
    assert page.status_code == 200
    names = {f"rating-{sales.pk}-{hr_dept.pk}", f"rating-{sales.pk}-{legal.pk}"}
    assert all(n in page.content.decode() for n in names)
    refused = client.post(
        url,
        {
            f"rating-{sales.pk}-{hr_dept.pk}": "4",
            f"rating-{sales.pk}-{legal.pk}": "",
            f"comment-{sales.pk}-{legal.pk}": "A comment without a rating",
        },
    )
    assert refused.status_code == 200
    assert not Feedback.objects.for_org(org).exists()
    client.post(
        url,
        {f"rating-{sales.pk}-{hr_dept.pk}": "4", f"comment-{sales.pk}-{hr_dept.pk}": "Helpful"},
    )
    assert Feedback.objects.for_org(org).get().rating == 4
    # Choosing "—" again removes the rating.
    client.post(url, {f"rating-{sales.pk}-{hr_dept.pk}": ""})
    assert not Feedback.objects.for_org(org).exists()


def test_received_feedback_names_departments_not_people(login, org, sales, support, hr):
    feedback_save(
        org=org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=3,
        comment="Slow answers",
    )
    page = login(hr).get(f"/o/{org.slug}/feedback/?period={support['month'].pk}")
    text = page.content.decode()
    assert "Slow answers" in text and sales.display_name in text
    assert "mona-manager" not in text
    row = next(r for r in page.context["received"] if r["department"].code == "hr")
    assert row["count"] == 1 and row["satisfaction"] == Decimal(60)


def test_control_characters_are_refused_not_a_500(login, org, sales, support, manager):
    month, hr_dept = support["month"], support["hr_dept"]
    url = f"/o/{org.slug}/feedback/?period={month.pk}"
    answer = login(manager).post(
        url, {f"rating-{sales.pk}-{hr_dept.pk}": "4", f"comment-{sales.pk}-{hr_dept.pk}": "a\x00b"}
    )
    assert answer.status_code == 200
    assert not Feedback.objects.for_org(org).exists()


def test_feedback_page_clearing_a_rating_of_a_locked_period_says_why(
    login, org, sales, support, manager
):
    month, hr_dept = support["month"], support["hr_dept"]
    feedback_save(org=org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    period_lock(period=month, by=None, reason="")
    client = login(manager)
    url = f"/o/{org.slug}/feedback/?period={month.pk}"
    refused = client.post(url, {f"rating-{sales.pk}-{hr_dept.pk}": ""})
    assert refused.status_code == 200
    assert "locked" in refused.content.decode() or "锁定" in refused.content.decode()
    assert Feedback.objects.for_org(org).get().rating == 4
