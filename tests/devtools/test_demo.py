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
    assert roles == {"admin": "admin", "hr": "hr", "manager": "manager", "executive": "executive"}
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
