"""Department reviews: every allowed and refused transition and who may make it, in the
service, the API and the pages (the reviews issue)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reviews.models import Review, ReviewStatus, ReviewTransition
from reviews.services.reviews import review_actions, review_save, review_transition
from reviews.services.steps import review_step_add, review_step_remove, review_steps

pytestmark = pytest.mark.django_db

TEXT = {"self_assessment": "Revenue under target.", "improvement_plan": "Visit key accounts."}


@pytest.fixture
def review(org, sales, support, manager, member_of):
    return review_save(
        org=org, membership=member_of(manager), department=sales, period=support["month"], **TEXT
    )


def _put_at(review, index):
    """Put the review at the index-th default step (None: approved), as moves would."""
    steps = review_steps(org=review.organization)
    if index is None:
        status, step = "approved", None
    else:
        status, step = ("draft" if index == 0 else "submitted"), steps[index]
    Review.objects.for_org(review.organization).filter(pk=review.pk).update(
        status=status, current_step=step
    )
    review.refresh_from_db()
    return review


M, H, X, DONE = 0, 1, 2, None  # the default steps: manager, HR check, executive decision
# (step before, action, who) -> step after, or the exception refused with
MATRIX = [
    (M, "submit", "manager", H),
    (M, "submit", "executive", PermissionDenied),
    (M, "submit", "hr", PermissionDenied),
    (M, "submit", "admin", PermissionDenied),
    (M, "submit", "other_manager", PermissionDenied),
    (H, "submit", "manager", ValidationError),
    (DONE, "submit", "manager", ValidationError),
    (H, "forward", "hr", X),
    (H, "forward", "admin", X),
    (H, "forward", "executive", PermissionDenied),
    (H, "forward", "manager", PermissionDenied),
    (H, "approve", "hr", ValidationError),  # not the last step
    (H, "approve", "executive", ValidationError),
    (H, "return", "hr", M),
    (H, "return", "admin", M),
    (H, "return", "executive", PermissionDenied),
    (H, "return", "manager", PermissionDenied),
    (X, "approve", "executive", DONE),
    (X, "approve", "admin", DONE),
    (X, "approve", "hr", PermissionDenied),
    (X, "approve", "manager", PermissionDenied),
    (X, "forward", "executive", ValidationError),  # the last step approves
    (X, "return", "executive", H),
    (X, "return", "hr", PermissionDenied),
    (X, "return", "manager", PermissionDenied),
    (M, "forward", "hr", ValidationError),
    (M, "approve", "executive", ValidationError),
    (M, "return", "executive", ValidationError),
    (DONE, "approve", "executive", ValidationError),
    (DONE, "return", "executive", ValidationError),
    (DONE, "forward", "hr", ValidationError),
]
STATUS_AT = {M: "draft", H: "submitted", X: "submitted", DONE: "approved"}


@pytest.mark.parametrize("before,action,who,after", MATRIX)
def test_transition_matrix(before, action, who, after, org, review, role_users, support, member_of):
    users = {**role_users, "other_manager": support["other_manager"]}
    review = _put_at(review, before)
    steps = review_steps(org=org)
    membership = member_of(users[who])
    if isinstance(after, type):
        with pytest.raises(after):
            review_transition(
                org=org, membership=membership, review=review, action=action, comment="x"
            )
        review.refresh_from_db()
        assert review.status == STATUS_AT[before]
        assert not ReviewTransition.objects.for_org(org).filter(review=review).exists()
        assert action not in review_actions(review, membership)
        return
    done = review_transition(
        org=org, membership=membership, review=review, action=action, comment="Because."
    )
    to_step = None if after is None else steps[after]
    expected = {M: "returned", H: "submitted", X: "submitted", DONE: "approved"}[after]
    assert (done.status, done.current_step) == (expected, to_step)
    step = ReviewTransition.objects.for_org(org).get(review=review)
    assert (step.from_status, step.to_status, step.by) == (STATUS_AT[before], expected, users[who])
    assert (step.from_step, step.to_step) == (steps[before], to_step)
    assert step.comment == "Because."
    assert step.at is not None


@pytest.mark.parametrize("at", [H, X])
def test_return_needs_a_reason_at_every_step(at, org, review, hr, executive, member_of):
    review = _put_at(review, at)
    holder = member_of(hr if at == H else executive)
    with pytest.raises(ValidationError) as refused:
        review_transition(org=org, membership=holder, review=review, action="return", comment=" ")
    assert "comment" in refused.value.message_dict
    review.refresh_from_db()
    assert review.current_step == review_steps(org=org)[at]


def test_return_needs_a_reason_and_goes_back_as_an_editable_draft(
    org, review, manager, hr, executive, member_of, sales, support
):
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    review_transition(org=org, membership=member_of(hr), review=review, action="forward")
    review_transition(
        org=org,
        membership=member_of(executive),
        review=review,
        action="return",
        comment="Check the figures again.",
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and not review.editable  # back with HR
    assert review_actions(review, member_of(hr)) == ["forward", "return"]
    review_transition(
        org=org,
        membership=member_of(hr),
        review=review,
        action="return",
        comment="Add the collections plan.",
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.RETURNED
    assert review.return_reason == "Add the collections plan."
    assert review.editable
    assert review_actions(review, member_of(manager)) == ["submit"]
    edited = review_save(
        org=org,
        membership=member_of(manager),
        department=sales,
        period=support["month"],
        self_assessment="Revised.",
        improvement_plan="Collections plan added.",
    )
    assert edited.pk == review.pk and edited.self_assessment == "Revised."
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    steps = list(
        ReviewTransition.objects.for_org(org)
        .filter(review=review)
        .values_list("from_status", "to_status")
    )
    assert steps == [
        ("draft", "submitted"),
        ("submitted", "submitted"),
        ("submitted", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]


def test_the_last_step_approves_whoever_holds_it(
    org, review, manager, hr, admin, executive, member_of
):
    """Without the HR check the executive decides straight after the manager; with an HR
    step added last, passing it (HR's approve) approves the review."""
    steps = review_steps(org=org)
    review_step_remove(org=org, membership=member_of(admin), step=steps[1])
    review = review_transition(
        org=org, membership=member_of(manager), review=review, action="submit"
    )
    assert review_actions(review, member_of(executive)) == ["approve", "return"]
    final = review_step_add(org=org, membership=member_of(admin), role="hr", name="Archive")
    review.refresh_from_db()
    assert review_actions(review, member_of(executive)) == ["forward", "return"]
    review_transition(org=org, membership=member_of(executive), review=review, action="forward")
    review.refresh_from_db()
    assert review.current_step == final and review.status == "submitted"
    review_transition(org=org, membership=member_of(hr), review=review, action="approve")
    review.refresh_from_db()
    assert (review.status, review.current_step, review.decided_by) == ("approved", None, hr)


def test_submit_needs_both_texts(org, sales, support, manager, member_of):
    review = review_save(
        org=org,
        membership=member_of(manager),
        department=sales,
        period=support["month"],
        self_assessment="Only this.",
        improvement_plan="",
    )
    with pytest.raises(ValidationError) as refused:
        review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    assert list(refused.value.message_dict) == ["improvement_plan"]


def test_submitted_review_cannot_be_edited(org, review, sales, support, manager, member_of):
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    with pytest.raises(ValidationError) as refused:
        review_save(
            org=org,
            membership=member_of(manager),
            department=sales,
            period=support["month"],
            self_assessment="changed",
            improvement_plan="changed",
        )
    assert "status" in refused.value.message_dict
    review.refresh_from_db()
    assert review.self_assessment == TEXT["self_assessment"]


def test_only_the_departments_manager_writes_it(org, sales, support, member_of, hr, executive):
    for user in (hr, executive, support["other_manager"]):
        with pytest.raises(PermissionDenied):
            review_save(
                org=org,
                membership=member_of(user),
                department=sales,
                period=support["month"],
                **TEXT,
            )
    assert not Review.objects.for_org(org).exists()


def test_review_period_follows_the_org_frequency(org, sales, support, manager, member_of):
    with pytest.raises(ValidationError) as refused:
        review_save(
            org=org,
            membership=member_of(manager),
            department=sales,
            period=support["quarter"],
            **TEXT,
        )
    assert "period" in refused.value.message_dict
    org.review_frequency = "quarter"
    org.save()
    assert review_save(
        org=org, membership=member_of(manager), department=sales, period=support["quarter"], **TEXT
    ).pk


# --- API ----------------------------------------------------------------------------------


def _url(org, *parts):
    return "/api/v1/orgs/" + org.slug + "/reviews/" + "".join(f"{p}/" for p in parts)


def test_api_full_path(api, org, sales, support, manager, hr, executive):
    month = support["month"]
    created = api(manager).post(
        _url(org), {"department": sales.pk, "period": month.pk, **TEXT}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["actions"] == ["submit"]
    assert [(s["role"], s["state"]) for s in body["steps"]] == [
        ("manager", "current"),
        ("hr", "next"),
        ("executive", "next"),
    ]
    assert body["current_step"]["role"] == "manager"
    assert body["current_step"]["label"] == "Manager's self-assessment"
    pk = body["id"]
    again = api(manager).post(
        _url(org), {"department": sales.pk, "period": month.pk, **TEXT}, format="json"
    )
    assert again.status_code == 201 and again.json()["id"] == pk  # one review per period
    assert api(executive).post(_url(org, pk, "approve"), {}, format="json").status_code == 400
    submitted = api(manager).post(_url(org, pk, "submit"), {}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted.json()["current_step"]["role"] == "hr"
    early = api(executive).post(_url(org, pk, "approve"), {}, format="json")
    assert early.status_code == 400 and "HR check" in early.json()["status"][0]
    assert api(executive).post(_url(org, pk, "forward"), {}, format="json").status_code == 403
    assert api(hr).get(_url(org, pk)).json()["actions"] == ["forward", "return"]
    checked = api(hr).post(_url(org, pk, "forward"), {"comment": "Figures OK."}, format="json")
    assert checked.status_code == 200 and checked.json()["current_step"]["role"] == "executive"
    assert [s["state"] for s in checked.json()["steps"]] == ["done", "done", "current"]
    assert api(manager).post(_url(org, pk, "approve"), {}, format="json").status_code == 403
    refused = api(executive).post(_url(org, pk, "return"), {"comment": ""}, format="json")
    assert refused.status_code == 400 and "comment" in refused.json()
    back = api(executive).post(_url(org, pk, "return"), {"comment": "Recheck."}, format="json")
    assert back.json()["status"] == "submitted" and back.json()["current_step"]["role"] == "hr"
    returned = api(hr).post(_url(org, pk, "return"), {"comment": "More."}, format="json")
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "More."
    edited = api(manager).put(
        _url(org, pk), {"self_assessment": "v2", "improvement_plan": "p2"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["self_assessment"] == "v2"
    api(manager).post(_url(org, pk, "submit"), {}, format="json")
    api(hr).post(_url(org, pk, "forward"), {}, format="json")
    approved = api(executive).post(_url(org, pk, "approve"), {"comment": "Good."}, format="json")
    assert approved.json()["status"] == "approved"
    assert approved.json()["current_step"] is None
    assert [s["state"] for s in approved.json()["steps"]] == ["done", "done", "done"]
    assert [t["to_status"] for t in approved.json()["transitions"]] == [
        "submitted",
        "submitted",
        "submitted",
        "returned",
        "submitted",
        "submitted",
        "approved",
    ]
    assert approved.json()["transitions"][2]["by"] == executive.username
    assert approved.json()["transitions"][-1]["to_step"] is None
    locked_text = api(manager).put(
        _url(org, pk), {"self_assessment": "v3", "improvement_plan": "p3"}, format="json"
    )
    assert locked_text.status_code == 400 and "status" in locked_text.json()


def test_api_scoping(api, org, sales, support, manager, hr, member_of, outsider):
    review_save(
        org=org, membership=member_of(manager), department=sales, period=support["month"], **TEXT
    )
    mine = api(manager).get(_url(org)).json()
    assert mine["count"] == 1
    assert api(support["other_manager"]).get(_url(org)).json()["count"] == 0
    pk = mine["results"][0]["id"]
    assert api(support["other_manager"]).get(_url(org, pk)).status_code == 404
    assert api(hr).get(_url(org, pk)).status_code == 200
    assert api(hr).get(_url(org) + "?status=approved").json()["count"] == 0
    for method, path in (
        ("get", _url(org)),
        ("get", _url(org, pk)),
        ("post", _url(org, pk, "submit")),
        ("post", _url(org, pk, "forward")),
        ("post", _url(org, pk, "approve")),
        ("post", _url(org, pk, "return")),
        ("put", _url(org, pk)),
    ):
        assert getattr(api(outsider), method)(path, {}, format="json").status_code == 404
    refused = api(hr).post(
        _url(org), {"department": sales.pk, "period": support["month"].pk, **TEXT}, format="json"
    )
    assert refused.status_code == 403


def test_api_refuses_another_orgs_department(api, org, other_org, support, manager):
    from tests.factories import make_department

    theirs = make_department(other_org, code="sales")
    answer = api(manager).post(
        _url(org), {"department": theirs.pk, "period": support["month"].pk, **TEXT}, format="json"
    )
    assert answer.status_code == 400 and "department" in answer.json()


# --- pages --------------------------------------------------------------------------------


def _page(org, sales, month):
    return f"/o/{org.slug}/reviews/{sales.pk}/?period={month.pk}"


def test_manager_writes_and_submits_on_the_page(login, org, sales, support, manager):
    client = login(manager)
    page = client.get(_page(org, sales, support["month"]))
    assert page.status_code == 200
    assert b"Submit for approval" in page.content or "提交审批".encode() in page.content
    refused = client.post(
        _page(org, sales, support["month"]),
        {"action": "submit", "self_assessment": "Fine.", "improvement_plan": ""},
    )
    assert refused.status_code == 200  # shown again with the message beside the field
    assert not Review.objects.for_org(org).exists()  # nothing half-saved
    done = client.post(
        _page(org, sales, support["month"]), {"action": "submit", **TEXT}, follow=True
    )
    assert done.status_code == 200
    assert Review.objects.for_org(org).get().status == "submitted"


def test_executive_returns_with_reason_on_the_page(
    login, org, sales, support, review, manager, hr, executive, member_of
):
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    review_transition(org=org, membership=member_of(hr), review=review, action="forward")
    client = login(executive)
    page = client.get(_page(org, sales, support["month"]))
    assert 'value="approve"' in page.content.decode()
    refused = client.post(_page(org, sales, support["month"]), {"action": "return", "comment": ""})
    assert refused.status_code == 200
    review.refresh_from_db()
    assert review.status == "submitted"
    client.post(_page(org, sales, support["month"]), {"action": "return", "comment": "Redo."})
    review.refresh_from_db()
    assert review.status == "submitted" and review.current_step.role == "hr"  # back to HR
    shown = login(hr).get(_page(org, sales, support["month"])).content.decode()
    assert "Redo." in shown and 'value="forward"' in shown


def test_overview_counts_statuses(login, org, sales, support, review, hr):
    page = login(hr).get(f"/o/{org.slug}/reviews/?period={support['month'].pk}")
    assert page.status_code == 200
    assert page.context["counts"]["draft"] == 1
    assert page.context["counts"]["missing"] == len(page.context["rows"]) - 1
    rows = {r["department"].code: r["review"] for r in page.context["rows"]}
    assert rows["sales"].pk == review.pk and rows["hr"] is None


def test_pages_role_rules(login, org, sales, support, review, outsider):
    other = login(support["other_manager"])
    assert other.get(_page(org, sales, support["month"])).status_code == 403
    overview = other.get(f"/o/{org.slug}/reviews/?period={support['month'].pk}")
    assert [r["department"].code for r in overview.context["rows"]] == ["production"]
    outsider_client = login(outsider)
    assert outsider_client.get(_page(org, sales, support["month"])).status_code == 404
    assert outsider_client.get(f"/o/{org.slug}/reviews/").status_code == 404
    answer = outsider_client.post(_page(org, sales, support["month"]), {"action": "submit", **TEXT})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "reviews/",
        "reviews/{sales}/",
        "feedback/",
        "influence/{hr}/",
    ],
)
def test_every_reviews_page_is_404_for_another_org(login, org, sales, support, outsider, path):
    url = f"/o/{org.slug}/" + path.format(sales=sales.pk, hr=support["hr_dept"].pk)
    client = login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "save", **TEXT}).status_code == 404
    assert not Review.objects.for_org(org).exists()


def test_review_text_with_nul_is_refused(org, sales, support, manager, member_of):
    with pytest.raises(ValidationError) as refused:
        review_save(
            org=org,
            membership=member_of(manager),
            department=sales,
            period=support["month"],
            self_assessment="a\x00b",
            improvement_plan="ok",
        )
    assert "self_assessment" in refused.value.message_dict


def test_an_over_long_comment_on_approval_is_refused_not_dropped(
    login, org, sales, support, review, manager, hr, executive, member_of
):
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    review_transition(org=org, membership=member_of(hr), review=review, action="forward")
    client = login(executive)
    refused = client.post(
        _page(org, sales, support["month"]), {"action": "approve", "comment": "x" * 5001}
    )
    assert refused.status_code == 200
    assert "5000" in refused.content.decode()
    review.refresh_from_db()
    assert review.status == "submitted"
    client.post(_page(org, sales, support["month"]), {"action": "approve", "comment": "Good."})
    review.refresh_from_db()
    assert review.status == "approved"
