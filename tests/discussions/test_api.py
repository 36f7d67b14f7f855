"""threads/, posts/ and mention-candidates/: roles, isolation, anonymity, errors by field
and query counts."""

import pytest
from django.core import mail

from discussions.models import Post
from discussions.services import post_add
from discussions.subjects import subject_of

from .conftest import membership

pytestmark = pytest.mark.django_db


def _base(org):
    return f"/api/v1/orgs/{org.slug}/"


def _add(org, user, subject, text, **kwargs):
    return post_add(org=org, membership=membership(org, user), subject=subject, text=text, **kwargs)


def test_a_manager_posts_replies_edits_and_deletes_through_the_api(
    api, org, manager, hr, kpi, month
):
    mail.outbox.clear()
    ref = subject_of("kpi", org, kpi, month).ref
    client = api(manager)
    created = client.post(
        _base(org) + "posts/", {"subject": ref, "text": "Why? @harry-hr"}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["subject"] == ref and body["author"] == "mona-manager" and body["parent"] is None
    assert body["mentions"] == [{"username": "harry-hr", "name": "harry-hr"}]
    assert [m.to for m in mail.outbox] == [["harry-hr@example.com"]]
    reply = api(hr).post(
        _base(org) + "posts/",
        {"subject": ref, "text": "Because", "parent": body["id"]},
        format="json",
    )
    assert reply.status_code == 201 and reply.json()["parent"] == body["id"]
    listed = client.get(_base(org) + "posts/", {"subject": ref}).json()
    assert [p["text"] for p in listed["results"]] == ["Why? @harry-hr", "Because"]
    url = _base(org) + f"posts/{body['id']}/"
    assert api(hr).patch(url, {"text": "Mine now"}, format="json").status_code == 403
    edited = client.patch(url, {"text": "Why, really?"}, format="json").json()
    assert edited["text"] == "Why, really?" and edited["edited_at"] and edited["mentions"] == []
    history = client.get(url + "history/").json()["results"]
    assert [v["text"] for v in history] == ["Why, really?", "Why? @harry-hr"]
    assert api(hr).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    gone = client.get(url).json()
    assert gone["deleted"] and gone["text"] == ""
    threads = client.get(_base(org) + "threads/").json()["results"]
    assert threads[0]["subject"] == ref and threads[0]["post_count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "kpi-1", "text": "x"}, "subject"),
        ({"subject": "nope-1-2", "text": "x"}, "subject"),
        ({"text": "x"}, "subject"),
        ({"subject": "KPI", "text": ""}, "text"),
        ({"subject": "KPI", "text": "a\x00b"}, "text"),
        ({"subject": "KPI", "text": "x", "parent": 999999}, "parent"),
        ({"subject": "KPI", "text": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(api, org, manager, kpi, month, body, field):
    body = {
        k: (subject_of("kpi", org, kpi, month).ref if v == "KPI" else v) for k, v in body.items()
    }
    answer = api(manager).post(_base(org) + "posts/", body, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.json()
    assert not Post.objects.for_org(org).exists()


def test_roles_and_isolation(api, org, other_org, role_users, hr_manager, kpi, month, outsider):
    subject = subject_of("kpi", org, kpi, month)
    post = _add(org, role_users["hr"], subject, "HR's")
    for role in ("admin", "hr", "manager", "executive"):
        client = api(role_users[role])
        assert client.get(_base(org) + "posts/", {"subject": subject.ref}).status_code == 200
        assert client.get(_base(org) + f"posts/{post.pk}/").status_code == 200
    # A manager of another department: the subject is forbidden, its posts not found.
    other = api(hr_manager)
    assert other.get(_base(org) + "posts/", {"subject": subject.ref}).status_code == 403
    assert (
        other.post(
            _base(org) + "posts/", {"subject": subject.ref, "text": "x"}, format="json"
        ).status_code
        == 403
    )
    assert other.get(_base(org) + f"posts/{post.pk}/").status_code == 404
    assert other.get(_base(org) + "threads/").json()["results"] == []
    # Another organization's member learns nothing; their own org does not name our objects.
    stranger = api(outsider)
    for url in (
        "threads/",
        f"posts/?subject={subject.ref}",
        f"posts/{post.pk}/",
        "mention-candidates/?q=h",
    ):
        assert stranger.get(_base(org) + url).status_code == 404
    assert stranger.get(_base(other_org) + f"posts/{post.pk}/").status_code == 404
    assert stranger.get(_base(other_org) + "posts/", {"subject": subject.ref}).status_code == 404
    assert (
        stranger.patch(_base(org) + f"posts/{post.pk}/", {"text": "x"}, format="json").status_code
        == 404
    )
    assert stranger.delete(_base(org) + f"posts/{post.pk}/").status_code == 404
    post.refresh_from_db()
    assert post.text == "HR's" and not post.is_deleted


def test_the_rated_department_reads_raters_posts_without_their_names(
    api, org, manager, hr_manager, hr, feedback
):
    subject = subject_of("feedback", org, feedback)
    _add(org, manager, subject, "Slow answers")
    rated = (
        api(hr_manager).get(_base(org) + "posts/", {"subject": subject.ref}).json()["results"][0]
    )
    assert (
        rated["author"] is None
        and rated["author_hidden"]
        and rated["author_name"] == "Rating department"
    )
    seen = api(hr).get(_base(org) + "posts/", {"subject": subject.ref}).json()["results"][0]
    assert seen["author"] == "mona-manager" and not seen["author_hidden"]


def test_mention_candidates(api, org, manager, hr, hr_manager):
    answer = api(manager).get(_base(org) + "mention-candidates/", {"q": "he"}).json()
    assert answer == [{"username": "helen-hrm", "name": "Helen Ho"}]


@pytest.mark.parametrize("size", [2, 15])
def test_the_lists_take_a_fixed_number_of_queries(
    api, org, manager, hr, kpi, month, size, django_assert_max_num_queries
):
    subject = subject_of("kpi", org, kpi, month)
    for n in range(size):
        post = _add(org, manager, subject, f"Post {n} @harry-hr")
        _add(org, hr, subject, f"Reply {n}", parent_id=post.pk)
    client = api(hr)
    with django_assert_max_num_queries(12):
        answer = client.get(_base(org) + "posts/", {"subject": subject.ref, "limit": 100})
    assert answer.json()["count"] == 2 * size
    with django_assert_max_num_queries(8):
        assert client.get(_base(org) + "threads/").json()["count"] == 1
