"""Executives' and HR's comments on scorecards (issue 17 "Commentary"): written on the
scorecard page, on the scorecard as a whole or on a line; read by the department's
managers on the scorecard and review pages; audited; refused with the field named."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from departments.models import Membership
from scorecards.models import ScorecardComment, ScorecardCommentEvent
from scorecards.services import comment_add, comment_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(computed, org, sales):
    """The scorecards conftest's computed month, with Sales' revenue KPI."""
    from metrics import selectors

    kpi = selectors.kpi_list(org=org, department=sales).get(indicator__code="sales_revenue")
    return {**computed, "kpi": kpi}


def _member(user):
    return Membership.objects.unscoped().get(user=user)


def _page(org, department, period):
    return f"/o/{org.slug}/scorecards/{department.pk}/?period={period.pk}"


def test_an_executive_comments_a_line_and_the_manager_reads_it(
    org, executive, manager, computed, client, login
):
    kpi, month = computed["kpi"], computed["month"]
    department = kpi.department
    login(executive)
    page = client.get(_page(org, department, month)).content.decode()
    assert "Add the comment" in page
    answer = client.post(
        _page(org, department, month), {"kpi": str(kpi.pk), "text": "Why so low? <b>plan</b>"}
    )
    assert answer.status_code == 302
    client.post(_page(org, department, month), {"kpi": "", "text": "Good quarter overall."})
    login(manager)
    page = client.get(_page(org, department, month)).content.decode()
    assert "Why so low? &lt;b&gt;plan&lt;/b&gt;" in page  # escaped
    assert "Good quarter overall." in page
    assert "Add the comment" not in page  # managers read, they do not comment
    review = client.get(
        f"/o/{org.slug}/reviews/{department.pk}/?period={month.pk}"
    ).content.decode()
    assert "Why so low?" in review or month.kind != org.review_frequency
    comment = ScorecardComment.objects.for_org(org).get(kpi=kpi)
    assert comment.by == executive and comment.period == month


def test_an_empty_comment_is_refused_beside_its_field(org, hr, computed, client, login):
    login(hr)
    department = computed["kpi"].department
    answer = client.post(_page(org, department, computed["month"]), {"kpi": "", "text": " "})
    assert answer.status_code == 200
    assert "invalid-feedback" in answer.content.decode()
    assert not ScorecardComment.objects.for_org(org).exists()


def test_a_manager_cannot_comment(org, manager, computed, client, login):
    login(manager)
    department = computed["kpi"].department
    answer = client.post(_page(org, department, computed["month"]), {"kpi": "", "text": "x"})
    assert answer.status_code == 403


def test_service_refuses_a_kpi_of_another_department_and_keeps_the_audit(
    org, hr, executive, computed
):
    from tests.factories import make_department

    other = make_department(org, code="other")
    with pytest.raises(ValidationError) as refused:
        comment_add(
            org=org,
            membership=_member(hr),
            department=other,
            period=computed["month"],
            kpi=computed["kpi"],
            text="x",
        )
    assert "kpi" in refused.value.message_dict
    comment = comment_add(
        org=org,
        membership=_member(executive),
        department=computed["kpi"].department,
        period=computed["month"],
        text="Noted",
    )
    with pytest.raises(PermissionDenied):  # only its author (or an admin) removes it
        comment_delete(org=org, membership=_member(hr), comment=comment)
    comment_delete(org=org, membership=_member(executive), comment=comment)
    assert not ScorecardComment.objects.for_org(org).exists()
    assert [e.pgh_label for e in ScorecardCommentEvent.objects.order_by("pgh_id")] == [
        "insert",
        "delete",
    ]


def test_another_organizations_comment_cannot_be_removed(
    org, other_org, outsider, executive, computed, client, login
):
    comment = comment_add(
        org=org,
        membership=_member(executive),
        department=computed["kpi"].department,
        period=computed["month"],
        text="Ours",
    )
    login(outsider)
    answer = client.post(f"/o/{other_org.slug}/scorecards/comments/{comment.pk}/delete/")
    assert answer.status_code == 404
    assert ScorecardComment.objects.for_org(org).exists()
