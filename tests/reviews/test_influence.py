"""The influence view: a management department's score and satisfaction beside the
business index, with a correlation and the number of periods it rests on."""

from decimal import Decimal

import pytest

from departments.models import Profile
from reviews import selectors
from reviews.selectors import _pearson
from scorecards.models import OrgScorecard, Scorecard

pytestmark = pytest.mark.django_db


def test_pearson_needs_three_varying_points():
    assert _pearson([1, 2], [1, 2]) is None
    assert _pearson([1, 1, 1], [1, 2, 3]) is None
    assert _pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert _pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def _store(org, department, month, score, business):
    from django.utils import timezone

    now = timezone.now()
    Scorecard.objects.create(
        organization=org, department=department, period=month, score=score, computed_at=now
    )
    OrgScorecard.objects.create(
        organization=org,
        period=month,
        business_index=business,
        company_index=business,
        computed_at=now,
    )


def test_influence_correlates_stored_scores(org, support):
    hr_dept = support["hr_dept"]
    scores = [Decimal(s) for s in ("70", "80", "90", "85")]
    business = [Decimal(b) for b in ("60", "70", "80", "75")]
    for month, score, index in zip(support["months"][:4], scores, business, strict=True):
        _store(org, hr_dept, month, score, index)
    data = selectors.influence(org=org, department=hr_dept, period=support["months"][3])
    assert [r["score"] for r in data["rows"]] == scores
    assert data["score_correlation"]["n"] == 4
    assert data["score_correlation"]["r"] == pytest.approx(1.0)
    assert data["satisfaction_correlation"] == {"r": None, "n": 0}


def test_influence_page_roles(login, org, support, hr, manager, outsider):
    hr_dept = support["hr_dept"]
    for month, score in zip(support["months"][:3], (70, 75, 90), strict=True):
        _store(org, hr_dept, month, Decimal(score), Decimal(score - 10))
    page = login(hr).get(f"/o/{org.slug}/influence/{hr_dept.pk}/")
    assert page.status_code == 200
    assert 'id="influence-chart"' in page.content.decode()
    assert page.context["correlations"][0][1]["n"] == 3
    assert login(manager).get(f"/o/{org.slug}/influence/{hr_dept.pk}/").status_code == 403
    assert login(outsider).get(f"/o/{org.slug}/influence/{hr_dept.pk}/").status_code == 404


def test_profile_turns_kinds_off(login, manager):
    client = login(manager)
    assert client.get("/profile/").status_code == 200
    client.post("/profile/", {"language": "en", "wanted": ["kpi_red", "reviews_waiting"]})
    profile = Profile.objects.get(user=manager)
    assert profile.language == "en"
    assert set(profile.muted) == {
        "entry_due_soon",
        "entry_overdue",
        "hr_late_summary",
        "grade_appeal",
        "briefing",
        "review_step",
        "thread_mention",
        "thread_reply",
        "action_due_soon",
        "action_overdue",
        "value_rejected",
        "values_to_confirm",
        "feed_failing",
    }
    assert profile.wants("kpi_red") and not profile.wants("entry_overdue")
    bad = client.post("/profile/", {"language": "fr", "wanted": ["nope"]})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert Profile.objects.get(user=manager).language == "en"


# --- by criterion (issue 19 §4) -------------------------------------------------------------


def _rate(org, support, sales, month, **per):
    from tests.factories import give_feedback

    give_feedback(
        org,
        period=month,
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=3,
        **per,
    )


def test_influence_breaks_ratings_down_by_criterion(org, sales, support):
    hr_dept, months = support["hr_dept"], support["months"]
    _rate(org, support, sales, months[0], quality=5)
    _rate(org, support, sales, months[1], responsiveness=1)
    from tests.factories import give_feedback

    give_feedback(
        org,
        period=months[1],
        rater_department=support["production"],
        rated_department=hr_dept,
        rating=4,
    )
    data = selectors.influence_by_criterion(org=org, department=hr_dept, periods=months[:3])
    assert [c.name_en for c in data["criteria"]] == ["Responsiveness", "Quality", "Cooperation"]
    assert [r["values"] for r in data["rows"]] == [
        [Decimal(3), Decimal(5), Decimal(3)],
        [Decimal("2.5"), Decimal("3.5"), Decimal("3.5")],
        [None, None, None],
    ]
    quarter = support["quarter"]  # a quarter averages the ratings of its months
    (row,) = selectors.influence_by_criterion(org=org, department=hr_dept, periods=[quarter])[
        "rows"
    ]
    assert row["values"] == [Decimal(8) / 3, Decimal(4), Decimal(10) / 3]


def test_influence_page_shows_the_criteria_table_and_escapes_their_names(
    login, org, sales, support, hr, manager
):
    from reviews.services.criteria import criterion_update, feedback_criteria

    hr_dept, months = support["hr_dept"], support["months"]
    for month, score in zip(months[:3], (70, 75, 90), strict=True):
        _store(org, hr_dept, month, Decimal(score), Decimal(score - 10))
    _rate(org, support, sales, months[0])
    from departments.models import Membership

    membership = Membership.objects.for_org(org).get(user=hr)
    first = feedback_criteria(org=org)[0]
    criterion_update(org=org, membership=membership, criterion=first, name_en="<b>Speed</b>")
    client = login(hr)
    client.cookies["django_language"] = "en"
    page = client.get(f"/o/{org.slug}/influence/{hr_dept.pk}/?kind=month")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="criteria-table"' in text and 'data-table="criteria-table"' in text
    assert "<b>Speed</b>" not in text and "&lt;b&gt;Speed&lt;/b&gt;" in text
    assert "\\u003Cb\\u003ESpeed" in text  # the chart's data, escaped by json_script
