from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from departments import selectors
from departments.models import DepartmentClosure
from departments.services import department_create, department_update
from tests.factories import make_department

pytestmark = pytest.mark.django_db


def _closure(org):
    return set(
        DepartmentClosure.objects.for_org(org).values_list(
            "ancestor__code", "descendant__code", "depth"
        )
    )


def test_closure_table_follows_create_and_move(org):
    a = make_department(org, code="a")
    b = make_department(org, code="b", parent=a)
    c = make_department(org, code="c", parent=b)
    x = make_department(org, code="x")
    assert _closure(org) >= {("a", "c", 2), ("b", "c", 1), ("a", "b", 1), ("c", "c", 0)}
    department_update(department=b, by=None, parent=x)
    closure = _closure(org)
    assert ("a", "b", 0 + 1) not in closure and ("a", "c", 2) not in closure
    assert {("x", "b", 1), ("x", "c", 2), ("b", "c", 1)} <= closure
    assert set(selectors.subtree_ids(org=org, department_id=x.pk)) == {x.pk, b.pk, c.pk}
    department_update(department=b, by=None, parent=None)
    assert set(selectors.subtree_ids(org=org, department_id=x.pk)) == {x.pk}
    assert c.pk in selectors.subtree_ids(org=org, department_id=b.pk)


def test_move_under_own_descendant_is_refused(org):
    a = make_department(org, code="a")
    b = make_department(org, code="b", parent=a)
    with pytest.raises(ValidationError) as err:
        department_update(department=a, by=None, parent=b)
    assert "cycle" in str(err.value.message_dict["parent"])
    with pytest.raises(ValidationError) as err:
        department_update(department=a, by=None, parent=a)
    assert "own parent" in str(err.value.message_dict["parent"])
    a.refresh_from_db()
    assert a.parent_id is None


def test_parent_from_another_organization_is_refused(org, other_org):
    foreign = make_department(other_org, code="foreign")
    with pytest.raises(ValidationError) as err:
        make_department(org, code="mine", parent=foreign)
    assert err.value.message_dict["parent"] == ["Unknown department."]
    mine = make_department(org, code="mine")
    with pytest.raises(ValidationError):
        department_update(department=mine, by=None, parent=foreign)


def test_duplicate_code_and_bad_values_refused_with_field_messages(org):
    make_department(org, code="sales")
    with pytest.raises(ValidationError) as err:
        make_department(org, code="sales")
    assert "code" in str(err.value) or "__all__" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        department_create(
            org=org,
            by=None,
            name="",
            code="bad code!",
            kind="nope",
            function="sales",
            weight_in_parent=Decimal(-1),
        )
    assert {"name", "code", "kind", "weight_in_parent"} <= set(err.value.message_dict)


def test_same_code_allowed_in_another_organization(org, other_org):
    make_department(org, code="sales")
    make_department(other_org, code="sales")


def test_managers_must_be_members(org, other_org, outsider, admin):
    d = make_department(org, code="sales")
    with pytest.raises(ValidationError) as err:
        department_update(department=d, by=None, managers=[outsider])
    assert "managers" in err.value.message_dict
    department_update(department=d, by=None, managers=[admin])
    assert list(d.managers.all()) == [admin]


def test_manager_manages_sub_departments(org, manager, sales):
    east = make_department(org, code="east", parent=sales)
    make_department(org, code="hr", kind="management", function="hr")
    ids = selectors.managed_department_ids(org=org, user=manager)
    assert ids == {sales.pk, east.pk}
