"""The demo organization of `make run`: complete and idempotent."""

import pytest

from departments.models import Membership
from devtools.demo import DEMO_USERS, load_demo
from metrics.models import Actual, Kpi
from scorecards.models import Goal

pytestmark = pytest.mark.django_db


def counts(org):
    return (
        Membership.objects.for_org(org).count(),
        Kpi.objects.for_org(org).count(),
        Actual.objects.for_org(org).count(),
        Goal.objects.for_org(org).count(),
    )


def test_demo_loads_once_and_again_changes_nothing():
    org = load_demo()
    first = counts(org)
    assert first[0] == len(DEMO_USERS) and first[1] > 40 and first[2] > 300 and first[3] == 2
    roles = dict(Membership.objects.for_org(org).values_list("user__username", "role"))
    assert {k: roles[k] for k in ("admin", "hr", "manager", "executive")} == {
        "admin": "admin",
        "hr": "hr",
        "manager": "manager",
        "executive": "executive",
    }
    assert {roles[u] for u in ("chen.jing", "david.miller", "emily.chen")} == {"manager"}
    assert load_demo().pk == org.pk
    assert counts(org) == first
    statuses = set(Actual.objects.for_org(org).values_list("period__status", flat=True))
    assert statuses == {"open", "locked"}


def test_demo_has_reviews_in_every_state_and_a_year_of_feedback():
    from reviews.models import Feedback, Review

    org = load_demo()
    states = set(Review.objects.for_org(org).values_list("status", flat=True))
    assert states == {"draft", "submitted", "approved", "returned"}
    months = set(Feedback.objects.for_org(org).values_list("period_id", flat=True))
    assert len(months) >= 12
    satisfaction = Actual.objects.for_org(org).filter(
        kpi__indicator__code="internal_service_satisfaction", source="feedback"
    )
    assert satisfaction.count() >= 12 * 3  # each management department, every month
    assert not Feedback.objects.for_org(org).filter(rater_department__kind="management").exists()


def test_demo_people_have_names_and_feedback_fits_the_department_rated():
    from django.contrib.auth import get_user_model

    from perfhub.names import display_name
    from reviews.models import Feedback

    load_demo()
    users = {u.username: u for u in get_user_model().objects.all()}
    assert display_name(users["manager"]) == "王小明"
    assert display_name(users["david.miller"]) == "David Miller"
    org = load_demo()
    comments = Feedback.objects.for_org(org).exclude(comment="")
    assert comments.exists()
    by_department = {}
    for code, comment in comments.values_list("rated_department__code", "comment"):
        by_department.setdefault(code, set()).add(comment)
    # An HR comment is about hiring or training, never about reimbursements.
    assert not any("报销" in c for c in by_department["hr"])
    assert all("报销" not in c for c in by_department.get("admin", set()))
    assert any(
        "报销" in c or "预算" in c or "报表" in c or "付款" in c for c in by_department["finance"]
    )
