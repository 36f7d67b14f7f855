"""Appeals (issue 17): after publication a department's manager appeals its grade once,
with a reason; HR or an executive upholds or changes it, with a reason; every step is
recorded, and HR, the executives and the manager are told by e-mail."""

from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import DepartmentManager
from grades import services
from grades.models import CalibrationEvent, CalibrationGrade, GradeAppeal, GradingPolicy

from .conftest import member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(org, hr, executive, manager, quarter, graded):
    """The quarter published as computed (override allowed); `manager` manages b5."""
    DepartmentManager.objects.create(organization=org, department=graded["b5"], user=manager)
    GradingPolicy.objects.create(organization=org, publish_rule="override")
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    services.calibration_publish(
        org=org, membership=member(executive), calibration=calibration, override_reason="As is"
    )
    return calibration


def test_a_manager_appeals_once_and_hr_and_executives_are_told(
    org, hr, executive, manager, published, graded
):
    mail.outbox.clear()
    services.appeal_raise(
        org=org,
        membership=member(manager),
        calibration=published,
        department=graded["b5"],
        reason="The Q1 target was raised mid-quarter",
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([hr.email, executive.email])
    assert "The Q1 target was raised mid-quarter" in mail.outbox[0].body
    with pytest.raises(ValidationError) as twice:
        services.appeal_raise(
            org=org,
            membership=member(manager),
            calibration=published,
            department=graded["b5"],
            reason="Again",
        )
    assert "department" in twice.value.message_dict


def test_only_the_departments_manager_appeals_and_with_a_reason(
    org, manager, executive, published, graded
):
    with pytest.raises(PermissionDenied):  # not a department they manage
        services.appeal_raise(
            org=org,
            membership=member(manager),
            calibration=published,
            department=graded["b1"],
            reason="x",
        )
    with pytest.raises(PermissionDenied):
        services.appeal_raise(
            org=org,
            membership=member(executive),
            calibration=published,
            department=graded["b5"],
            reason="x",
        )
    with pytest.raises(ValidationError) as no_reason:
        services.appeal_raise(
            org=org,
            membership=member(manager),
            calibration=published,
            department=graded["b5"],
            reason=" ",
        )
    assert "reason" in no_reason.value.message_dict


@pytest.mark.parametrize(
    ("decision", "state", "final", "coefficient"),
    [("B", "upheld", "B", D("1.0")), ("A", "changed", "A", D("1.15"))],
)
def test_hr_or_an_executive_upholds_or_changes_the_grade_with_a_reason(
    org, manager, executive, published, graded, decision, state, final, coefficient
):
    appeal = services.appeal_raise(
        org=org,
        membership=member(manager),
        calibration=published,
        department=graded["b5"],
        reason="Why",
    )
    with pytest.raises(ValidationError) as no_reason:
        services.appeal_resolve(
            org=org, membership=member(executive), appeal=appeal, grade=decision, reason=""
        )
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(PermissionDenied):
        services.appeal_resolve(
            org=org, membership=member(manager), appeal=appeal, grade=decision, reason="mine"
        )
    mail.outbox.clear()
    services.appeal_resolve(
        org=org, membership=member(executive), appeal=appeal, grade=decision, reason="Checked"
    )
    appeal = GradeAppeal.objects.for_org(org).get()
    assert appeal.state == state
    grade = CalibrationGrade.objects.for_org(org).get(department=graded["b5"])
    assert (grade.final, grade.coefficient) == (final, coefficient)
    assert [m.to[0] for m in mail.outbox] == [manager.email]
    assert "Checked" in mail.outbox[0].body
    actions = list(
        CalibrationEvent.objects.for_org(org)
        .filter(department=graded["b5"])
        .values_list("action", "from_grade", "to_grade")
    )
    assert actions == [("appeal", "B", ""), ("resolve", "B", decision)]
    with pytest.raises(ValidationError):  # decided once
        services.appeal_resolve(
            org=org, membership=member(executive), appeal=appeal, grade="S", reason="again"
        )


def test_the_manager_appeals_and_the_executive_decides_on_the_page(
    org, manager, executive, published, graded, quarter, client, login
):
    url = f"/o/{org.slug}/grades/?period={quarter.pk}"
    login(manager)
    page = client.get(url).content.decode()
    assert "Appeal this grade" in page
    refused = client.post(url, {"action": "appeal", "department": graded["b5"].pk, "reason": ""})
    assert refused.status_code == 200
    assert (
        client.post(
            url, {"action": "appeal", "department": graded["b5"].pk, "reason": "Target moved"}
        ).status_code
        == 302
    )
    assert "Appeal this grade" not in client.get(url).content.decode()
    login(executive)
    page = client.get(url).content.decode()
    assert "Target moved" in page and "waiting for a decision" in page
    appeal = GradeAppeal.objects.for_org(org).get()
    assert (
        client.post(
            url, {"action": "resolve", "appeal": appeal.pk, "grade": "A", "reason": "Fair point"}
        ).status_code
        == 302
    )
    login(manager)
    page = client.get(url).content.decode()
    assert "Changed from B to A" in page and "Fair point" in page
