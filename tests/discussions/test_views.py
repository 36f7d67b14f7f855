"""The thread pages and the threads on other apps' pages: roles, posting and replying,
edit and delete, the mention autocomplete, escaping, anonymity and query counts."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Membership
from discussions.models import Post
from discussions.services import post_add, post_edit
from discussions.subjects import subject_of
from reviews.models import Feedback
from tests.factories import give_feedback, make_department

from .conftest import membership

pytestmark = pytest.mark.django_db


def _url(org, subject):
    return f"/o/{org.slug}/discussions/?subject={subject.ref}"


def _add(org, user, subject, text, **kwargs):
    return post_add(org=org, membership=membership(org, user), subject=subject, text=text, **kwargs)


def test_a_manager_posts_on_the_kpi_page_and_comes_back_to_it(login, org, manager, kpi, month):
    client = login(manager)
    page_url = f"/o/{org.slug}/kpis/{kpi.pk}/?period={month.pk}"
    page = client.get(page_url).content.decode()
    subject = subject_of("kpi", org, kpi, month)
    assert f'id="thread-{subject.ref}"' in page and 'data-mentions="' in page
    answer = client.post(_url(org, subject), {"text": "Revenue dips: why?", "next": page_url})
    post = Post.objects.for_org(org).get()
    assert answer.status_code == 302 and answer.url == f"{page_url}#post-{post.pk}"
    assert "Revenue dips: why?" in client.get(page_url).content.decode()


def test_a_next_outside_the_organization_is_ignored(login, org, manager, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    for bad in ("https://evil.example/o/acme/", "//evil.example/", "/o/globex/"):
        answer = login(manager).post(_url(org, subject), {"text": "Hi", "next": bad})
        assert answer.url.startswith(_url(org, subject) + "#post-")


def test_the_thread_page_answers_each_role(
    login, org, role_users, hr_manager, kpi, month, other_org
):
    subject = subject_of("kpi", org, kpi, month)
    for role in ("admin", "hr", "manager", "executive"):
        assert login(role_users[role]).get(_url(org, subject)).status_code == 200, role
    assert login(role_users["outsider"]).get(_url(org, subject)).status_code == 404
    forbidden = login(hr_manager)
    assert forbidden.get(_url(org, subject)).status_code == 403
    assert forbidden.post(_url(org, subject), {"text": "x"}).status_code == 403
    assert not Post.objects.for_org(org).exists()
    for ref in ("kpi-999999-1", "nonsense", "", f"kpi-{kpi.pk}"):
        assert (
            login(role_users["hr"]).get(f"/o/{org.slug}/discussions/?subject={ref}").status_code
            == 404
        )


def test_an_empty_post_is_refused_with_the_field_named(login, org, manager, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    answer = login(manager).post(_url(org, subject), {"text": "   "})
    assert answer.status_code == 200
    assert "This field is required." in answer.content.decode()
    assert not Post.objects.for_org(org).exists()


def test_a_reply_from_the_page_and_the_mail_it_sends(login, org, manager, hr, kpi, month):
    mail.outbox.clear()
    subject = subject_of("kpi", org, kpi, month)
    question = _add(org, manager, subject, "Question")
    login(hr).post(_url(org, subject), {"text": "Answer", "parent": question.pk})
    reply = Post.objects.for_org(org).get(parent=question)
    assert reply.author == hr
    assert [m.to for m in mail.outbox] == [["mona-manager@example.com"]]


def test_the_author_edits_and_deletes_and_others_cannot(login, org, manager, hr, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    post = _add(org, manager, subject, "First")
    edit = f"/o/{org.slug}/discussions/posts/{post.pk}/edit/"
    delete = f"/o/{org.slug}/discussions/posts/{post.pk}/delete/"
    assert login(hr).get(edit).status_code == 403
    assert login(hr).post(delete).status_code == 403
    client = login(manager)
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"text": "Second"}).status_code == 302
    page = client.get(edit).content.decode()
    assert "First" in page and "Second" in page  # the versions
    thread = client.get(_url(org, subject)).content.decode()
    assert "edited" in thread and "First" in thread  # the earlier text behind "edited"
    assert client.post(delete).status_code == 302
    thread = client.get(_url(org, subject)).content.decode()
    assert "This post was deleted." in thread and "Second" not in thread
    assert client.get(delete).status_code == 405


def test_a_post_of_a_thread_one_may_not_see_is_not_found(
    login, org, manager, hr_manager, kpi, month
):
    post = _add(org, manager, subject_of("kpi", org, kpi, month), "Sales only")
    assert (
        login(hr_manager).get(f"/o/{org.slug}/discussions/posts/{post.pk}/edit/").status_code == 404
    )


def test_the_autocomplete_lists_members_of_the_organization_only(
    login, org, manager, hr, hr_manager, outsider
):
    client = login(manager)
    found = client.get(f"/o/{org.slug}/discussions/mentions/?q=h").json()["members"]
    assert [m["username"] for m in found] == ["harry-hr", "helen-hrm"]
    assert found[1]["name"] == "Helen Ho"
    assert (
        client.get(f"/o/{org.slug}/discussions/mentions/?q=ho").json()["members"][0]["username"]
        == "helen-hrm"
    )
    assert client.get(f"/o/{org.slug}/discussions/mentions/?q=oscar").json()["members"] == []
    assert client.get(f"/o/{org.slug}/discussions/mentions/?q=").json()["members"] == []
    assert login(outsider).get(f"/o/{org.slug}/discussions/mentions/?q=h").status_code == 404


def test_inactive_members_are_not_offered_nor_mentioned(
    login, org, manager, hr, hr_manager, kpi, month
):
    Membership.objects.for_org(org).filter(user=hr_manager).update(is_active=False)
    found = login(manager).get(f"/o/{org.slug}/discussions/mentions/?q=h").json()["members"]
    assert [m["username"] for m in found] == ["harry-hr"]
    post = _add(org, manager, subject_of("kpi", org, kpi, month), "Ask @helen-hrm and @harry-hr")
    assert set(post.mentions.values_list("user__username", flat=True)) == {"harry-hr"}


def test_hostile_text_and_names_are_escaped(login, org, manager, hr, kpi, month):
    hr.first_name = "<img src=x onerror=alert(2)>"
    hr.save()
    subject = subject_of("kpi", org, kpi, month)
    _add(org, manager, subject, '<script>alert(1)</script> "quoted" @harry-hr <b>bold</b>')
    answer = login(manager).get(f"/o/{org.slug}/kpis/{kpi.pk}/?period={month.pk}")
    page = answer.content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>bold</b>" not in page
    assert '<span class="mention" title="@harry-hr">' in page
    assert "script-src" in answer["Content-Security-Policy"]
    assert f'nonce="{answer.context["CSP_NONCE"]}"' in page and "perfhub/mentions.js" in page


def test_the_scorecard_and_review_pages_show_the_scorecards_thread(
    login, org, manager, sales, month
):
    subject = subject_of("scorecard", org, sales, month)
    _add(org, manager, subject, "About the whole card")
    client = login(manager)
    assert (
        "About the whole card"
        in client.get(f"/o/{org.slug}/scorecards/{sales.pk}/?period={month.pk}").content.decode()
    )
    org.review_frequency = "month"
    org.save()
    assert (
        "About the whole card"
        in client.get(f"/o/{org.slug}/reviews/{sales.pk}/?period={month.pk}").content.decode()
    )


def test_goals_and_feedback_link_their_threads(login, org, hr, manager, goal, feedback):
    assert (
        f"?subject=goal-{goal.pk}"
        in login(hr).get(f"/o/{org.slug}/goals/?period={goal.period_id}").content.decode()
    )
    page = (
        login(manager).get(f"/o/{org.slug}/feedback/?period={feedback.period_id}").content.decode()
    )
    assert f"?subject=feedback-{feedback.pk}" in page


def test_the_influence_view_shows_raters_posts_without_their_names(
    login, org, manager, hr_manager, hr, feedback, month
):
    subject = subject_of("feedback", org, feedback)
    question = _add(org, manager, subject, "Why so slow?")
    _add(org, hr_manager, subject, "Short of staff.", parent_id=question.pk)
    url = f"/o/{org.slug}/influence/{feedback.rated_department_id}/"
    rated = login(hr_manager).get(url).content.decode()
    assert "Why so slow?" in rated and "Short of staff." in rated
    assert "Rating department" in rated and "mona-manager" not in rated
    assert "mona-manager" in login(hr).get(url).content.decode()  # HR sees who wrote


def test_without_anonymity_the_rated_department_sees_who_wrote(
    login, org, manager, hr_manager, feedback
):
    org.feedback_anonymous = False
    org.save(update_fields=["feedback_anonymous"])
    subject = subject_of("feedback", org, feedback)
    _add(org, manager, subject, "Why so slow?")
    url = f"/o/{org.slug}/influence/{feedback.rated_department_id}/"
    rated = login(hr_manager).get(url).content.decode()
    assert "Why so slow?" in rated
    assert "mona-manager" in rated and "Rating department" not in rated


def _thread_of(org, users, subject, size):
    """`size` posts with a reply, a mention and an edit each."""
    for n in range(size):
        author = users[n % len(users)]
        post = _add(org, author, subject, f"Post {n} @harry-hr")
        reply = _add(org, users[(n + 1) % len(users)], subject, f"Reply {n}", parent_id=post.pk)
        post_edit(
            org=org,
            membership=membership(org, author),
            subject=subject,
            post=post,
            text=f"Post {n} edited @eve-exec",
        )
        assert reply.parent_id == post.pk


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [1, 12])
def test_the_kpi_page_with_its_thread_takes_a_fixed_number_of_queries(
    login, org, manager, hr, executive, kpi, month, size, django_assert_max_num_queries
):
    _thread_of(org, [manager, hr], subject_of("kpi", org, kpi, month), size)
    client = login(manager)
    client.get(f"/o/{org.slug}/kpis/{kpi.pk}/?period={month.pk}")  # warm-up
    with django_assert_max_num_queries(25):
        page = client.get(f"/o/{org.slug}/kpis/{kpi.pk}/?period={month.pk}")
    assert page.content.decode().count('class="thread-post ') == 2 * size


def test_the_threads_cost_the_same_queries_whatever_their_size(
    login, org, manager, hr, executive, kpi, month, sales, hr_manager, hr_dept
):
    client = login(hr)
    kpi_url = f"/o/{org.slug}/kpis/{kpi.pk}/?period={month.pk}"
    thread_url = _url(org, subject_of("scorecard", org, sales, month))
    client.get(kpi_url)
    empty = (_count(client, kpi_url), _count(client, thread_url))
    _thread_of(org, [manager, hr], subject_of("kpi", org, kpi, month), 2)
    _thread_of(org, [manager, hr], subject_of("scorecard", org, sales, month), 2)
    small = (_count(client, kpi_url), _count(client, thread_url))
    _thread_of(org, [manager, hr], subject_of("kpi", org, kpi, month), 10)
    _thread_of(org, [manager, hr], subject_of("scorecard", org, sales, month), 10)
    large = (_count(client, kpi_url), _count(client, thread_url))
    assert small == large
    assert small[0] - empty[0] <= 4  # posts, mentions, versions (threads: also when empty)


def test_the_influence_view_costs_the_same_for_one_or_many_feedback_threads(
    login, org, hr, manager, hr_manager, hr_dept, month, sales
):
    url = f"/o/{org.slug}/influence/{hr_dept.pk}/"
    client = login(hr)
    counts = []
    for n in range(4):
        rater = sales if n == 0 else make_department(org, code=f"biz{n}")
        feedback = give_feedback(
            org, period=month, rater_department=rater, rated_department=hr_dept, rating=4
        )
        subject = subject_of(
            "feedback",
            org,
            Feedback.objects.for_org(org)
            .select_related("period", "rater_department", "rated_department")
            .get(pk=feedback.pk),
        )
        post = _add(org, hr, subject, f"Thanks {n}")
        _add(org, hr_manager, subject, "Reply", parent_id=post.pk)
        if n in (0, 3):
            client.get(url)
            counts.append(_count(client, url))
    assert counts[0] == counts[1]


def test_an_actions_comments_are_its_thread_seen_by_its_owner_too(
    login, org, manager, hr_manager, hr, kpi, month
):
    """An action on Sales' revenue owned by HR's manager, who does not see Sales: the owner
    reads and writes its thread on the action's page; the mail reaches the owner."""
    from scorecards.models import Action

    action = Action.objects.create(
        organization=org,
        department=kpi.department,
        period=month,
        kpi=kpi,
        title="Call the customers",
        owner=hr_manager,
        due_date=month.end,
        created_by=hr,
    )
    url = f"/o/{org.slug}/actions/{action.pk}/"
    _add(org, manager, subject_of("action", org, action), "Started on it")
    page = login(hr_manager).get(url).content.decode()
    assert "Started on it" in page
    owner = login(hr_manager).post(
        f"/o/{org.slug}/discussions/?subject=action-{action.pk}",
        {"text": "Thanks @mona-manager", "next": url},
    )
    assert owner.status_code == 302
    assert Post.objects.for_org(org).filter(text__startswith="Thanks").exists()
    assert "Thanks" in login(manager).get(url).content.decode()
