"""A quarter with scored departments: 9 business and 3 management (one without a score)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from departments.models import Membership
from metrics.services.periods import periods_generate
from scorecards.models import Scorecard
from tests.factories import make_department


def member(user):
    return Membership.objects.unscoped().select_related("organization").get(user=user)


# code: (kind, score) — business: 2 S, 2 A, 4 B, 1 C; management: A, B, and no score.
SCORES = {
    "b1": ("business", "115"),
    "b2": ("business", "112"),
    "b3": ("business", "104"),
    "b4": ("business", "100"),
    "b5": ("business", "95"),
    "b6": ("business", "90"),
    "b7": ("business", "88"),
    "b8": ("business", "86"),
    "b9": ("business", "75"),
    "m1": ("management", "101"),
    "m2": ("management", "92"),
    "m3": ("management", None),
}


@pytest.fixture
def quarter(org):
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    return next(p for p in periods if p.kind == "quarter" and p.number == 1)


@pytest.fixture
def graded(org, quarter):
    """{code: department} with a scorecard each in the first quarter."""
    departments = {}
    for code, (kind, score) in SCORES.items():
        department = make_department(
            org, code=code, kind=kind, function="sales" if kind == "business" else "hr"
        )
        departments[code] = department
        Scorecard.objects.create(
            organization=org,
            department=department,
            period=quarter,
            score=Decimal(score) if score else None,
            rolled_up_score=Decimal(score) if score else None,
            coverage=Decimal(1) if score else Decimal(0),
            computed_at=timezone.now(),
        )
    return departments
