"""The reviews services the pages and the API share, called directly: the feedback grid
saved all or nothing (feedback_save_many) and a step on a review (review_act)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from metrics.models import Actual
from metrics.services.periods import period_lock
from reviews.models import Feedback, Review, ReviewTransition
from reviews.services.criteria import criteria_asked, feedback_criteria
from reviews.services.feedback import (
    FeedbackRefused,
    FeedbackRow,
    feedback_direction,
    feedback_save_many,
)
from reviews.services.reviews import review_act
from tests.factories import give_feedback

pytestmark = pytest.mark.django_db

TEXT = {"self_assessment": "Revenue under target.", "improvement_plan": "Visit key accounts."}


def _satisfaction(org, department, period):
    actual = (
        Actual.objects.for_org(org)
        .filter(
            department=department,
            period=period,
            kpi__indicator__code=("internal_service_satisfaction"),
        )
        .first()
    )
    return actual.value if actual else None


# --- feedback_save_many ----------------------------------------------------------------------


def _criteria(org, direction="support"):
    return criteria_asked(feedback_criteria(org=org), direction)


def _row(org, rater, rated, raw, comments=(), comment=""):
    """A grid row: `raw` the same typed text on every criterion asked, or one per criterion."""
    criteria = _criteria(org, feedback_direction(rater, rated) or "support")
    typed = [raw] * len(criteria) if isinstance(raw, str) else list(raw)
    notes = list(comments) + [""] * (len(criteria) - len(comments))
    return FeedbackRow(
        rater_department=rater,
        rated_department=rated,
        ratings={c.pk: t for c, t in zip(criteria, typed, strict=True)},
        comments={c.pk: n for c, n in zip(criteria, notes, strict=True)},
        comment=comment,
    )


def _ratings(feedback):
    return [r.rating for r in feedback.ratings.order_by("criterion__position")]


def test_feedback_save_many_saves_every_row_and_returns_them(org, sales, support, manager):
    month, hr_dept, legal = support["month"], support["hr_dept"], support["legal"]
    saved = feedback_save_many(
        org=org,
        period=month,
        rows=[
            _row(org, sales, hr_dept, [" 4 ", "5", "3"], ["Fast", "", "Kind"], "Helpful"),
            _row(org, sales, legal, "2"),
            _row(org, support["production"], hr_dept, ""),
        ],
        by=manager,
    )
    assert [(f.rated_department_id, _ratings(f), f.comment) for f in saved] == [
        (hr_dept.pk, [4, 5, 3], "Helpful"),
        (legal.pk, [2, 2, 2], ""),
    ]
    assert [r.comment for r in saved[0].ratings.order_by("criterion__position")] == [
        "Fast",
        "",
        "Kind",
    ]
    assert {f.rated_by for f in saved} == {manager}
    assert Feedback.objects.for_org(org).count() == 2
    assert _satisfaction(org, hr_dept, month) == Decimal(80)  # (4+5+3)/3 = 4 → 80


def test_feedback_save_many_is_all_or_nothing_on_a_bad_row(org, sales, support):
    month, hr_dept, legal = support["month"], support["hr_dept"], support["legal"]
    give_feedback(
        org,
        period=month,
        rater_department=sales,
        rated_department=hr_dept,
        rating=3,
        comment="Slow",
    )
    with pytest.raises(FeedbackRefused) as refused:
        feedback_save_many(
            org=org,
            period=month,
            rows=[
                # would delete the stored feedback and create another: both undone
                _row(org, sales, hr_dept, ""),
                _row(org, support["production"], hr_dept, "5"),
                _row(org, sales, legal, ["9", "4", "4"]),
                _row(org, support["production"], legal, ["x", "4", ""]),
            ],
        )
    assert refused.value.errors == {
        f"{sales.pk}-{legal.pk}": "“Responsiveness”: choose a rating from 1 to 5.",
        f"{support['production'].pk}-{legal.pk}": "“Responsiveness”: choose a rating from 1 "
        "to 5. Rate every criterion: Cooperation missing.",
    }
    stored = Feedback.objects.for_org(org).get()
    assert (stored.rater_department_id, _ratings(stored), stored.comment) == (
        sales.pk,
        [3, 3, 3],
        "Slow",
    )
    assert _satisfaction(org, hr_dept, month) == Decimal(60)


def test_feedback_save_many_refuses_a_comment_without_a_rating(org, sales, support):
    month, legal = support["month"], support["legal"]
    with pytest.raises(FeedbackRefused) as refused:
        feedback_save_many(
            org=org,
            period=month,
            rows=[_row(org, sales, legal, ["4", "4", " "], ["", "", "No rating"])],
        )
    assert refused.value.errors == {
        f"{sales.pk}-{legal.pk}": "Choose a rating to go with each comment. Rate every "
        "criterion: Cooperation missing."
    }
    assert not Feedback.objects.for_org(org).exists()


def test_feedback_save_many_clears_a_rating_left_blank(org, sales, support):
    month, hr_dept = support["month"], support["hr_dept"]
    give_feedback(org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    assert feedback_save_many(org=org, period=month, rows=[_row(org, sales, hr_dept, "")]) == []
    assert not Feedback.objects.for_org(org).exists()
    assert _satisfaction(org, hr_dept, month) is None


# --- review_act ------------------------------------------------------------------------------


@pytest.fixture
def act(org, sales, support, member_of):
    """review_act on Sales' review of the month, taken by a user."""

    def take(user, action, **more):
        return review_act(
            org=org,
            membership=member_of(user),
            department=sales,
            period=support["month"],
            action=action,
            **more,
        )

    return take


def test_review_act_saves_submits_and_decides(act, org, manager, hr, executive):
    draft = act(manager, "save", texts=TEXT)
    assert draft.status == "draft" and draft.self_assessment == TEXT["self_assessment"]
    submitted = act(manager, "submit", texts=TEXT)
    assert submitted.pk == draft.pk and submitted.status == "submitted"
    with pytest.raises(ValidationError) as refused:
        act(hr, "return")
    assert "comment" in refused.value.message_dict
    returned = act(hr, "return", comment="More detail")
    assert returned.status == "returned" and returned.return_reason == "More detail"
    # the API's submit: no texts, the stored ones are submitted
    assert act(manager, "submit").status == "submitted"
    assert act(hr, "forward").status == "submitted"
    assert act(executive, "approve").status == "approved"
    steps = ReviewTransition.objects.for_org(org).filter(review=draft).order_by("pk")
    assert [s.to_status for s in steps] == [
        "submitted",
        "returned",
        "submitted",
        "submitted",
        "approved",
    ]


def test_review_act_submit_is_all_or_nothing(act, org, manager):
    with pytest.raises(ValidationError) as refused:
        act(manager, "submit", texts={"self_assessment": "Written.", "improvement_plan": ""})
    assert "improvement_plan" in refused.value.message_dict
    assert not Review.objects.for_org(org).exists()  # the draft it wrote is undone too


@pytest.mark.parametrize("action", ["approve", "forward", "return", "save", "bogus"])
def test_review_act_without_a_review_or_with_an_unknown_action(action, act, executive):
    with pytest.raises(ValidationError) as refused:
        act(executive, action, comment="Why")
    assert refused.value.messages == ["Unknown action."]


def test_review_act_checks_who_acts(act, org, manager, hr):
    with pytest.raises(PermissionDenied):
        act(hr, "save", texts=TEXT)
    act(manager, "submit", texts=TEXT)
    with pytest.raises(PermissionDenied):
        act(manager, "forward")
    assert Review.objects.for_org(org).get().status == "submitted"


def test_feedback_save_many_refuses_clearing_a_rating_of_a_locked_period(org, sales, support):
    month, hr_dept = support["month"], support["hr_dept"]
    give_feedback(org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    period_lock(period=month, by=None, reason="")
    month.refresh_from_db()
    with pytest.raises(FeedbackRefused) as refused:
        feedback_save_many(
            org=org,
            period=month,
            rows=[_row(org, sales, hr_dept, "")],
        )
    assert list(refused.value.errors) == [f"{sales.pk}-{hr_dept.pk}"]
    assert _ratings(Feedback.objects.for_org(org).get()) == [4, 4, 4]
