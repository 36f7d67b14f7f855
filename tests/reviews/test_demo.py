"""The demo organization of `make run`: complete and idempotent."""

import pytest

from departments.models import Membership
from metrics.models import Actual, Kpi
from reviews.demo import DEMO_USERS, load_demo
from reviews.models import Goal

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
