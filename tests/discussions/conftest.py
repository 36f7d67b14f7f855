"""Subjects for thread tests: Sales' revenue KPI in March, the HR department (management)
with its manager, a feedback entry of Sales on HR, a company goal."""

import pytest

from departments.models import Membership, Role
from departments.services import department_update
from scorecards.models import Goal
from tests.factories import MembershipFactory, UserFactory, give_feedback, make_department


def membership(org, user):
    """The member as a request sees them (managed departments read on first use)."""
    return Membership.objects.for_org(org).select_related("organization").get(user=user)


@pytest.fixture
def hr_dept(org):
    return make_department(org, code="hr", kind="management", function="hr", name_en="HR")


@pytest.fixture
def hr_manager(org, hr_dept):
    user = UserFactory(username="helen-hrm", first_name="Helen", last_name="Ho")
    MembershipFactory(organization=org, user=user, role=Role.MANAGER)
    department_update(department=hr_dept, by=None, managers=[user])
    return user


@pytest.fixture
def kpi(sales_kpis):
    return sales_kpis["sales_revenue"]


@pytest.fixture
def feedback(org, sales, hr_dept, month):
    return give_feedback(
        org,
        period=month,
        rater_department=sales,
        rated_department=hr_dept,
        rating=3,
        comment="Slow answers",
    )


@pytest.fixture
def goal(org, month):
    return Goal.objects.create(organization=org, title="Grow", period=month)
