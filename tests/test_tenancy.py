import pytest

from departments.models import Department, Membership
from perfhub.tenancy import UnscopedQueryError
from tests.factories import make_department

pytestmark = pytest.mark.django_db


def test_query_without_organization_raises(org, sales):
    with pytest.raises(UnscopedQueryError):
        list(Department.objects.all())
    with pytest.raises(UnscopedQueryError):
        Department.objects.filter(code="sales").first()
    with pytest.raises(UnscopedQueryError):
        Department.objects.count()
    with pytest.raises(UnscopedQueryError):
        Department.objects.filter(code="sales").exists()
    with pytest.raises(UnscopedQueryError):
        Department.objects.update(is_active=False)
    with pytest.raises(UnscopedQueryError):
        Department.objects.all().delete()


def test_scoped_query_returns_only_that_organization(org, other_org):
    make_department(org, code="sales")
    make_department(other_org, code="sales")
    make_department(other_org, code="hr", kind="management", function="hr")
    assert Department.objects.for_org(org).count() == 1
    assert Department.objects.for_org(other_org).count() == 2
    assert Department.objects.filter(organization=org).count() == 1


def test_related_manager_of_scoped_row_is_allowed(org):
    parent = make_department(org, code="sales")
    make_department(org, code="east", parent=parent)
    parent = Department.objects.for_org(org).get(code="sales")
    assert [c.code for c in parent.children.all()] == ["east"]
    prefetched = Department.objects.for_org(org).prefetch_related("children").get(code="sales")
    assert [d.code for d in prefetched.children.all()] == ["east"]


def test_unscoped_escape_hatch_is_explicit(org, other_org, admin, outsider):
    assert Membership.objects.unscoped().count() == 2


def test_for_org_without_organization_raises():
    with pytest.raises(UnscopedQueryError):
        Department.objects.for_org(None)
