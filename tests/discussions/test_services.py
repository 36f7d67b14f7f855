"""The rules of threads: who may read and write, mentions, notifications once, edits with
their history, deletes, anonymity of raters."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from departments.models import Profile, Role
from discussions import mentions, selectors
from discussions.models import Mention, Post, PostEvent, Thread
from discussions.services import post_add, post_delete, post_edit
from discussions.subjects import parse, subject_load, subject_of
from reviews.models import Notification
from tests.factories import MembershipFactory, UserFactory, make_department

from .conftest import membership

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox.clear()


def _add(org, user, subject, text, **kwargs):
    return post_add(org=org, membership=membership(org, user), subject=subject, text=text, **kwargs)


# --- Subjects -------------------------------------------------------------------------------


def test_a_reference_names_a_subject_of_the_organization_only(org, other_org, kpi, month):
    subject = subject_load(org=org, ref=f"kpi-{kpi.pk}-{month.pk}")
    assert subject.ref == f"kpi-{kpi.pk}-{month.pk}" and subject.department_ids == (
        kpi.department_id,
    )
    with pytest.raises(Http404):
        subject_load(org=other_org, ref=f"kpi-{kpi.pk}-{month.pk}")
    for bad in ("", "kpi", "kpi-1", "kpi-1-2-3", "nope-1", "kpi-a-1", "goal-1-2"):
        with pytest.raises(ValueError, match="Unknown subject"):
            parse(bad)


# --- Who may read and write -----------------------------------------------------------------


def test_whoever_sees_the_department_may_post_and_no_one_else(
    org, admin, hr, executive, manager, hr_manager, kpi, month
):
    subject = subject_of("kpi", org, kpi, month)
    for user in (admin, hr, executive, manager):
        assert selectors.can_see(membership(org, user), subject)
        _add(org, user, subject, f"From {user.username}")
    assert not selectors.can_see(membership(org, hr_manager), subject)
    with pytest.raises(PermissionDenied):
        _add(org, hr_manager, subject, "Not mine to see")
    assert Post.objects.for_org(org).count() == 4
    assert Thread.objects.for_org(org).count() == 1


def test_the_audience_is_exactly_who_can_see(
    org, admin, hr, executive, manager, hr_manager, kpi, month, feedback, goal
):
    users = [admin, hr, executive, manager, hr_manager]
    for subject in (
        subject_of("kpi", org, kpi, month),
        subject_of("feedback", org, feedback),
        subject_of("goal", org, goal),
    ):
        audience = selectors.audience_user_ids(org=org, subject=subject)
        expected = {u.pk for u in users if selectors.can_see(membership(org, u), subject)}
        assert audience == expected, subject.kind


def test_a_manager_of_a_parent_sees_the_sub_departments_thread(org, sales, month):
    child = make_department(org, code="sales-east", parent=sales)
    subject = subject_of("scorecard", org, child, month)
    boss = UserFactory(username="bob-boss")
    MembershipFactory(organization=org, user=boss, role=Role.MANAGER)
    from departments.services import department_update

    department_update(department=sales, by=None, managers=[boss])
    assert selectors.can_see(membership(org, boss), subject)
    assert boss.pk in selectors.audience_user_ids(org=org, subject=subject)


def test_the_rated_management_department_answers_its_raters(org, manager, hr_manager, feedback):
    subject = subject_of("feedback", org, feedback)
    question = _add(org, manager, subject, "Why so slow?")
    answer = _add(org, hr_manager, subject, "We were short of staff.", parent_id=question.pk)
    assert answer.parent_id == question.pk
    # A reply to a reply answers the same top-level post (one level of replies).
    again = _add(org, manager, subject, "Thanks", parent_id=answer.pk)
    assert again.parent_id == question.pk


def test_a_reply_must_answer_a_live_post_of_the_same_thread(org, manager, kpi, month, sales):
    subject = subject_of("kpi", org, kpi, month)
    other = subject_of("scorecard", org, sales, month)
    elsewhere = _add(org, manager, other, "Elsewhere")
    with pytest.raises(ValidationError) as refused:
        _add(org, manager, subject, "Reply", parent_id=elsewhere.pk)
    assert "parent" in refused.value.message_dict
    gone = _add(org, manager, other, "To delete")
    post_delete(org=org, membership=membership(org, manager), subject=other, post=gone)
    with pytest.raises(ValidationError, match="deleted"):
        _add(org, manager, other, "Reply", parent_id=gone.pk)


@pytest.mark.parametrize(
    ("text", "field_message"),
    [("   ", "Write something first"), ("x" * 4001, "At most 4000"), ("a\x00b", "control")],
)
def test_bad_text_is_refused_by_name_and_nothing_is_saved(
    org, manager, kpi, month, text, field_message
):
    with pytest.raises(ValidationError) as refused:
        _add(org, manager, subject_of("kpi", org, kpi, month), text)
    assert field_message in " ".join(refused.value.message_dict["text"])
    assert not Thread.objects.for_org(org).exists()


# --- Mentions -------------------------------------------------------------------------------


def test_mention_parsing_finds_members_in_english_and_chinese_text():
    names = ["mona-manager", "mona", "harry-hr"]
    text = "Hi @mona-manager, see @harry-hr. 请@mona看一下 mail bob@harry-hr @nobody @mona_x"
    found = [name for _s, _e, name in mentions.find(text, names)]
    assert found == ["mona-manager", "harry-hr", "mona"]
    assert "mona-manager" in mentions.candidates(text)


def test_mentions_are_recorded_and_notified_once(org, manager, hr, executive, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    post = _add(org, manager, subject, "@harry-hr and @eve-exec: look. @harry-hr again")
    assert {m.user_id for m in Mention.objects.for_org(org).filter(post=post)} == {
        hr.pk,
        executive.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["eve-exec@example.com", "harry-hr@example.com"]
    assert "mona-manager mentioned you" in mail.outbox[0].body
    assert f"?subject={subject.ref}#post-{post.pk}" in mail.outbox[0].body
    # Editing the post (the mentions unchanged) tells nobody again.
    mail.outbox.clear()
    post_edit(
        org=org,
        membership=membership(org, manager),
        subject=subject,
        post=post,
        text="@harry-hr and @eve-exec: please look.",
    )
    assert mail.outbox == []
    assert Notification.objects.for_org(org).filter(kind="thread_mention").count() == 2


def test_no_one_is_told_of_their_own_post_nor_of_a_subject_they_cannot_see(
    org, manager, hr_manager, kpi, month
):
    _add(org, manager, subject_of("kpi", org, kpi, month), "Note to @mona-manager and @helen-hrm")
    assert mail.outbox == []  # the author themself; HR's manager may not see Sales' KPI
    assert not Notification.objects.for_org(org).exists()


def test_a_reply_tells_the_author_of_the_post_once(org, manager, hr, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    question = _add(org, manager, subject, "Question")
    _add(org, hr, subject, "Answer, @mona-manager", parent_id=question.pk)
    assert [m.to for m in mail.outbox] == [["mona-manager@example.com"]]
    assert "replied to your post" in mail.outbox[0].body  # one e-mail, the reply's
    _add(org, manager, subject, "My own reply", parent_id=question.pk)
    assert len(mail.outbox) == 1


def test_a_member_who_turned_the_kind_off_is_not_told(org, manager, hr, kpi, month):
    Profile.objects.create(user=hr, muted=["thread_mention"])
    _add(org, manager, subject_of("kpi", org, kpi, month), "@harry-hr look")
    assert mail.outbox == []


# --- Edit and delete ------------------------------------------------------------------------


def test_the_author_edits_and_the_history_keeps_each_version(org, manager, hr, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    post = _add(org, manager, subject, "First")
    post_edit(
        org=org, membership=membership(org, manager), subject=subject, post=post, text="Second"
    )
    post.refresh_from_db()
    assert post.text == "Second" and post.edited_at is not None
    history = selectors.post_history(org=org, post=post)
    assert [v.text for v in history] == ["Second", "First"]
    with pytest.raises(PermissionDenied):
        post_edit(org=org, membership=membership(org, hr), subject=subject, post=post, text="Mine")
    with pytest.raises(PermissionDenied):
        post_delete(org=org, membership=membership(org, hr), subject=subject, post=post)


def test_a_deleted_post_shows_as_deleted_and_keeps_its_history(org, manager, hr, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    post = _add(org, manager, subject, "Oops @harry-hr")
    _add(org, hr, subject, "Reply", parent_id=post.pk)
    post_delete(org=org, membership=membership(org, manager), subject=subject, post=post)
    post.refresh_from_db()
    assert post.is_deleted and post.text == ""
    assert not Mention.objects.for_org(org).filter(post=post).exists()
    texts = set(PostEvent.objects.filter(pgh_obj_id=post.pk).values_list("text", flat=True))
    assert "Oops @harry-hr" in texts
    view = selectors.thread_views(org=org, membership=membership(org, hr), subjects=[subject])[0]
    assert view.posts[0].is_deleted and len(view.posts[0].thread_replies) == 1
    assert view.count == 1
    with pytest.raises(ValidationError, match="deleted"):
        post_edit(
            org=org, membership=membership(org, manager), subject=subject, post=post, text="Back"
        )


# --- Anonymity ------------------------------------------------------------------------------


def test_a_raters_post_is_shown_to_the_rated_department_without_its_author(
    org, manager, hr_manager, hr, feedback
):
    subject = subject_of("feedback", org, feedback)
    question = _add(org, manager, subject, "Why so slow?")
    _add(org, hr_manager, subject, "Short of staff, @mona-manager", parent_id=question.pk)

    def shown(user):
        view = selectors.thread_views(org=org, membership=membership(org, user), subjects=[subject])
        top = view[0].posts[0]
        return top.hidden, top.thread_replies[0].hidden

    assert shown(hr_manager) == (True, False)  # the rated department: the rater is hidden
    assert shown(manager) == (False, False)  # the rater sees their own side
    assert shown(hr) == (False, False)  # HR always sees who wrote


def test_the_rated_department_is_told_of_a_raters_reply_without_the_name(
    org, manager, hr_manager, feedback
):
    subject = subject_of("feedback", org, feedback)
    answer = _add(org, hr_manager, subject, "We will improve.")
    _add(org, manager, subject, "Thanks", parent_id=answer.pk)
    assert [m.to for m in mail.outbox] == [["helen-hrm@example.com"]]
    body = mail.outbox[0].body
    assert "mona" not in body.lower() and "rating department" in body
