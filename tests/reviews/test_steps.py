"""The organization's review steps: the settings page (who may change them, another
organization), the rules every change keeps, the pages showing the steps, and the data
migration that put the existing reviews on the default steps."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reviews.models import Review, ReviewStep, ReviewTransition
from reviews.services.reviews import review_save, review_transition
from reviews.services.steps import (
    review_step_add,
    review_step_remove,
    review_step_update,
    review_steps,
)

pytestmark = pytest.mark.django_db

TEXT = {"self_assessment": "Revenue under target.", "improvement_plan": "Visit key accounts."}


def _page(org):
    return f"/o/{org.slug}/reviews/steps/"


def _roles(org):
    return [(s.position, s.role) for s in ReviewStep.objects.for_org(org).order_by("position")]


# --- the page: roles and organizations ----------------------------------------------------


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("hr", 200), ("executive", 403), ("manager", 403)]
)
def test_steps_page_role_matrix(who, status, login, org, role_users):
    client = login(role_users[who])
    assert client.get(_page(org)).status_code == status
    answer = client.post(_page(org), {"action": "add", "role": "hr", "name": "Second look"})
    assert answer.status_code == (302 if status == 200 else 403)
    assert len(_roles(org)) == (4 if status == 200 else 0)


def test_steps_page_is_404_for_another_org_and_its_steps_stay_apart(
    login, org, other_org, admin, outsider
):
    theirs = review_steps(org=other_org)
    client = login(outsider)
    assert client.get(_page(org)).status_code == 404
    assert client.post(_page(org), {"action": "add", "role": "hr"}).status_code == 404
    # Our admin naming another organization's step changes nothing of theirs.
    page = login(admin).post(
        _page(org), {"action": "remove", "step": theirs[1].pk, "role": "", "name": ""}
    )
    assert page.status_code == 200
    assert "Unknown step" in page.content.decode()
    assert [(s.position, s.role) for s in review_steps(org=other_org)] == [
        (1, "manager"),
        (2, "hr"),
        (3, "executive"),
    ]


def test_steps_page_shows_the_defaults_in_both_languages(login, org, admin):
    from django.conf import settings

    client = login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(_page(org)).content.decode()
    assert '<html lang="en"' in english
    assert "HR check" in english and "Executive decision" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(_page(org))
    assert chinese.status_code == 200 and '<html lang="zh-hans"' in chinese.content.decode()
    assert _roles(org) == [(1, "manager"), (2, "hr"), (3, "executive")]


def test_steps_page_adds_moves_renames_and_removes(login, org, admin):
    client = login(admin)
    client.get(_page(org))
    client.post(_page(org), {"action": "add", "role": "executive", "name": "Board", "position": 2})
    assert _roles(org) == [(1, "manager"), (2, "executive"), (3, "hr"), (4, "executive")]
    board = ReviewStep.objects.for_org(org).get(name="Board")
    client.post(
        _page(org),
        {"action": "update", "step": board.pk, "position": 4, "role": "executive", "name": "B."},
    )
    board.refresh_from_db()
    assert (board.position, board.name) == (4, "B.")
    assert _roles(org) == [(1, "manager"), (2, "hr"), (3, "executive"), (4, "executive")]
    client.post(_page(org), {"action": "remove", "step": board.pk})
    assert _roles(org) == [(1, "manager"), (2, "hr"), (3, "executive")]


@pytest.mark.parametrize(
    "data,field,words",
    [
        ({"action": "add", "role": "", "name": ""}, "role", "Choose who acts"),
        ({"action": "add", "role": "manager"}, "role", "Select a valid choice"),
        ({"action": "add", "role": "hr", "position": 1}, "position", "from 2 to 4"),
        ({"action": "add", "role": "hr", "position": 9}, "position", "from 2 to 4"),
        ({"action": "add", "role": "hr", "position": "two"}, "position", "whole number"),
        ({"action": "add", "role": "hr", "name": "x" * 101}, "name", "100"),
        ({"action": "add", "role": "hr", "name": "a\x07b"}, "name", "control"),
    ],
)
def test_steps_page_names_the_field_it_refuses(data, field, words, login, org, admin):
    page = login(admin).post(_page(org), data)
    assert page.status_code == 200
    errors = page.context["add"].errors
    assert field in errors and words in " ".join(errors[field]), errors
    assert f'id="add-{field}-error"' in page.content.decode()
    assert len(_roles(org)) == 3


# --- the rules ------------------------------------------------------------------------------


def test_the_managers_step_stays_first_and_one_step_must_follow_it(org, admin, member_of):
    steps = review_steps(org=org)
    me = member_of(admin)
    with pytest.raises(ValidationError) as refused:
        review_step_remove(org=org, membership=me, step=steps[0])
    assert "step" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        review_step_update(org=org, membership=me, step=steps[0], name="", position=2)
    assert "position" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        review_step_update(org=org, membership=me, step=steps[1], name="", position=1)
    assert "position" in refused.value.message_dict
    review_step_remove(org=org, membership=me, step=steps[1])
    with pytest.raises(ValidationError) as refused:
        review_step_remove(org=org, membership=me, step=steps[2])
    assert "At least one step" in refused.value.message_dict["step"][0]
    assert _roles(org) == [(1, "manager"), (2, "executive")]
    named = review_step_update(org=org, membership=me, step=steps[0], name="Bilan")
    assert named.label == "Bilan"


def test_a_step_where_reviews_wait_cannot_be_removed(
    org, sales, support, manager, admin, member_of
):
    review = review_save(
        org=org, membership=member_of(manager), department=sales, period=support["month"], **TEXT
    )
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    hr_step = review_steps(org=org)[1]
    with pytest.raises(ValidationError) as refused:
        review_step_remove(org=org, membership=member_of(admin), step=hr_step)
    assert "1 review(s) wait at “HR check”" in refused.value.message_dict["step"][0]
    # Moving it is fine: the review stays at its step.
    review_step_update(org=org, membership=member_of(admin), step=hr_step, name="", position=3)
    review.refresh_from_db()
    assert review.current_step == hr_step
    assert _roles(org) == [(1, "manager"), (2, "executive"), (3, "hr")]


@pytest.mark.parametrize("who", ["executive", "manager"])
def test_only_admin_and_hr_change_the_steps(who, org, role_users, member_of):
    me = member_of(role_users[who])
    step = review_steps(org=org)[1]
    for change in (
        lambda: review_step_add(org=org, membership=me, role="hr"),
        lambda: review_step_update(org=org, membership=me, step=step, name="x"),
        lambda: review_step_remove(org=org, membership=me, step=step),
    ):
        with pytest.raises(PermissionDenied):
            change()
    assert len(_roles(org)) == 3


# --- the pages show the steps ---------------------------------------------------------------


def test_review_page_shows_the_progress_line_and_the_holders_actions(
    login, org, sales, support, manager, hr, member_of
):
    review = review_save(
        org=org, membership=member_of(manager), department=sales, period=support["month"], **TEXT
    )
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    url = f"/o/{org.slug}/reviews/{sales.pk}/?period={support['month'].pk}"
    page = login(hr).get(url).content.decode()
    assert page.count('data-step-state="done"') == 1
    assert page.count('data-step-state="current"') == 1 and 'aria-current="step"' in page
    assert page.count('data-step-state="next"') == 1
    assert 'value="forward"' in page and 'value="return"' in page and 'value="approve"' not in page
    mine = login(manager).get(url).content.decode()
    assert 'value="forward"' not in mine and 'data-waiting-for="hr"' in mine
    listing = login(hr).get(f"/o/{org.slug}/reviews/?period={support['month'].pk}")
    assert "HR check" in listing.content.decode()


def test_hr_home_lists_reviews_at_its_step(login, org, sales, support, manager, hr, member_of):
    review = review_save(
        org=org, membership=member_of(manager), department=sales, period=support["month"], **TEXT
    )
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    page = login(hr).get(f"/o/{org.slug}/").content.decode()
    assert 'data-todo="review-check"' in page
    assert f"/reviews/{sales.pk}/?period={support['month'].pk}" in page


# --- the data migration -------------------------------------------------------------------


def test_data_migration_puts_existing_reviews_on_the_default_steps(
    as_owner, org, sales, support, hr
):
    """Back to the migration before the data step, rows as the old code left them (no
    step), then forward: draft and returned at the manager's step, submitted at the
    executive decision (not bounced back to HR), approved past the last step; their
    transitions get their steps."""
    executor = MigrationExecutor(connection)
    before, after = [("reviews", "0006_review_steps")], [("reviews", "0007_review_steps_data")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldReview = old.get_model("reviews", "Review")
    OldTransition = old.get_model("reviews", "ReviewTransition")
    months = support["months"]
    rows = {}
    for month, status in zip(months, ["draft", "returned", "submitted", "approved"], strict=False):
        rows[status] = OldReview.objects.create(
            organization_id=org.pk, department_id=sales.pk, period_id=month.pk, status=status
        )
    from django.utils import timezone

    for frm, to in (("draft", "submitted"), ("submitted", "returned")):
        OldTransition.objects.create(
            organization_id=org.pk,
            review_id=rows["returned"].pk,
            from_status=frm,
            to_status=to,
            at=timezone.now(),
        )
    assert not ReviewStep.objects.for_org(org).exists()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    steps = {s.role: s for s in ReviewStep.objects.for_org(org)}
    assert [(s.position, s.role) for s in review_steps(org=org)] == [
        (1, "manager"),
        (2, "hr"),
        (3, "executive"),
    ]
    placed = {r.status: r.current_step for r in Review.objects.for_org(org)}
    assert placed == {
        "draft": steps["manager"],
        "returned": steps["manager"],
        "submitted": steps["executive"],
        "approved": None,
    }
    moves = ReviewTransition.objects.for_org(org).order_by("pk")
    assert [(m.from_step, m.to_step) for m in moves] == [
        (steps["manager"], steps["executive"]),
        (steps["executive"], steps["manager"]),
    ]
    # The one that waited for an executive is still theirs to decide.
    from reviews.services.reviews import review_actions

    submitted = Review.objects.for_org(org).get(status="submitted")
    from departments.models import Membership

    executive = Membership.objects.for_org(org).get(role="executive")
    assert review_actions(submitted, executive) == ["approve", "return"]
