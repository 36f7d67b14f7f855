"""Members join by invitation only (audit finding #2): the API and the pages, as the inviter
(admin), the invitee, other roles and outsiders."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from departments import invitations
from departments.models import Invitation, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages outside an organization speak the site's default language: English here."""
    settings.LANGUAGE_CODE = "en"


LINK = re.compile(r"https?://\S+/invitations/(\S+)/")


@pytest.fixture
def bob(db):
    """An existing account that belongs to no organization."""
    return UserFactory(username="bob", email="bob@secret.example", first_name="Bob")


def _invite(api, admin, org, **body):
    body.setdefault("role", "executive")
    return api(admin).post(f"/api/v1/orgs/{org.slug}/invitations/", body, format="json")


def _token_from_mail(message) -> str:
    return LINK.search(message.body).group(1)


def _is_member(org, user) -> bool:
    return Membership.objects.for_org(org).filter(user=user).exists()


# --- the old path ----------------------------------------------------------------------


def test_members_post_no_longer_adds_anyone_and_points_to_invitations(api, admin, org, bob):
    response = api(admin).post(
        f"/api/v1/orgs/{org.slug}/members/",
        {"username": "bob", "role": "executive"},
        format="json",
    )
    assert response.status_code == 405
    assert "invitations/" in response.json()["detail"]
    assert not _is_member(org, bob)
    assert "bob@secret.example" not in response.content.decode()


# --- the inviter learns nothing about accounts -----------------------------------------


def test_answer_is_the_same_for_existing_and_unknown_usernames_and_addresses(
    api, admin, org, bob, django_capture_on_commit_callbacks
):
    targets = [
        {"username": "bob"},
        {"username": "nobody-here"},
        {"email": "bob@secret.example"},
        {"email": "nobody@unknown.example"},
    ]
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for target in targets:
            answers.append(_invite(api, admin, org, **target))
    assert {r.status_code for r in answers} == {201}
    assert len({tuple(sorted(r.json())) for r in answers}) == 1
    for response, target in zip(answers, targets, strict=True):
        body = response.json()
        assert body["status"] == "pending"
        assert body["email"] == target.get("email")
        assert body["username"] == target.get("username")
    # Nothing of Bob's account (his address, his name) in what the inviter gets back,
    # neither when he was invited by username nor in the list.
    assert "secret.example" not in answers[0].content.decode()
    listing = api(admin).get(f"/api/v1/orgs/{org.slug}/invitations/").content.decode()
    assert "Bob" not in listing
    assert not _is_member(org, bob)
    # Mail: the two addresses typed, and Bob's account for the username; the unknown
    # username gets nothing.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bob@secret.example",
        "bob@secret.example",
        "nobody@unknown.example",
    ]


def test_only_the_invitation_mail_goes_to_someone_who_has_not_accepted(
    api, admin, org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(api, admin, org, email="carol@example.com")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carol@example.com"]
    assert org.name in message.subject
    assert "/invitations/" in message.body
    # The raw token is not stored, only its digest.
    token = _token_from_mail(message)
    assert not Invitation.objects.for_org(org).filter(token_hash=token).exists()


# --- the invitee accepts ---------------------------------------------------------------


def test_email_invitation_is_accepted_by_the_signed_in_holder_of_the_link(
    api, admin, org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(api, admin, org, email="bob@secret.example", role="hr")
    token = _token_from_mail(mail.outbox[0])
    assert not _is_member(org, bob)
    response = api(bob).post(f"/api/v1/invitations/{token}/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == org.slug and response.json()["role"] == "hr"
    assert Membership.objects.for_org(org).get(user=bob).role == "hr"
    # Used: a second answer is refused with the reason.
    again = api(bob).post(f"/api/v1/invitations/{token}/accept/")
    assert again.status_code == 400
    assert "already been accepted" in again.json()["token"][0]


def test_username_invitation_only_for_that_account(
    api, admin, org, bob, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(api, admin, org, username="bob")
    token = _token_from_mail(mail.outbox[0])
    stranger = api(outsider).post(f"/api/v1/invitations/{token}/accept/")
    assert stranger.status_code == 400 and "another account" in stranger.json()["token"][0]
    assert not _is_member(org, outsider)
    assert api(bob).post(f"/api/v1/invitations/{token}/accept/").status_code == 200
    assert _is_member(org, bob)


def test_revoked_expired_and_unknown_links_answer_clearly(
    api, admin, org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revoked = _invite(api, admin, org, email="a@example.com").json()
        _invite(api, admin, org, email="b@example.com")
    revoked_token, expired_token = (_token_from_mail(m) for m in mail.outbox)
    delete = api(admin).delete(f"/api/v1/orgs/{org.slug}/invitations/{revoked['id']}/")
    assert delete.status_code == 204
    Invitation.objects.for_org(org).filter(target="b@example.com").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    answer = api(bob).post(f"/api/v1/invitations/{revoked_token}/accept/")
    assert answer.status_code == 400 and "withdrawn" in answer.json()["token"][0]
    answer = api(bob).post(f"/api/v1/invitations/{expired_token}/accept/")
    assert answer.status_code == 400 and "expired" in answer.json()["token"][0]
    for bad in (
        "nonsense",
        f"{org.pk}.not-the-secret",
        "999999.x",
        "9" * 30 + ".x",
        "1." + "x" * 300,
    ):
        answer = api(bob).post(f"/api/v1/invitations/{bad}/accept/")
        assert answer.status_code == 404 and answer.json()["detail"]
    assert not _is_member(org, bob)
    # A withdrawn one cannot be withdrawn again.
    again = api(admin).delete(f"/api/v1/orgs/{org.slug}/invitations/{revoked['id']}/")
    assert again.status_code == 400


def test_a_token_moved_to_another_organization_finds_nothing(
    api, admin, org, other_org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(api, admin, org, email="bob@secret.example")
    _org_id, _dot, secret = _token_from_mail(mail.outbox[0]).partition(".")
    answer = api(bob).post(f"/api/v1/invitations/{other_org.pk}.{secret}/accept/")
    assert answer.status_code == 404
    assert not Membership.objects.unscoped().filter(user=bob).exists()


def test_invitation_expires_after_the_configured_days(api, admin, org, settings):
    settings.PERFHUB_INVITATION_DAYS = 3
    body = _invite(api, admin, org, email="x@example.com").json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=2, hours=23) < expires - timezone.now() <= dt.timedelta(days=3)


def test_refusals_name_the_field(api, admin, hr, org):
    both = _invite(api, admin, org, email="x@example.com", username="x")
    assert both.status_code == 400 and "email" in both.json()
    neither = _invite(api, admin, org)
    assert neither.status_code == 400 and "email" in neither.json()
    member = _invite(api, admin, org, username=hr.username)
    assert member.status_code == 400 and "already a member" in member.json()["username"][0]
    assert _invite(api, admin, org, email="dup@example.com").status_code == 201
    dup = _invite(api, admin, org, email="DUP@example.com")
    assert dup.status_code == 400 and "waiting" in dup.json()["email"][0]


def test_invitation_detail_role_matrix(api, role_users, org):
    created = _invite(api, role_users["admin"], org, email="x@example.com").json()
    url = f"/api/v1/orgs/{org.slug}/invitations/{created['id']}/"
    assert api(role_users["outsider"]).delete(url).status_code == 404
    for role in ("hr", "manager", "executive"):
        assert api(role_users[role]).delete(url).status_code == 403
    assert api(role_users["admin"]).delete(url).status_code == 204


def test_invitations_are_rate_limited_per_inviter(api, admin, org, settings):
    settings.PERFHUB_RATE_LIMITS = {**settings.PERFHUB_RATE_LIMITS, "invitation_create": "2/h"}
    for n in range(2):
        assert _invite(api, admin, org, email=f"r{n}@example.com").status_code == 201
    refused = _invite(api, admin, org, email="r9@example.com")
    assert refused.status_code == 429
    assert "too many invitations" in refused.json()["detail"]
    assert not Invitation.objects.for_org(org).filter(target="r9@example.com").exists()


# --- pages -----------------------------------------------------------------------------


def test_member_page_invites_and_lists_only_what_was_typed(
    client, admin, org, bob, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    url = reverse("member_list", kwargs={"slug": org.slug})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"username": "bob", "role": "manager"})
    assert response.status_code == 302
    assert not _is_member(org, bob)
    page = client.get(url).content.decode()
    assert "bob" in page
    assert "bob@secret.example" not in page and "Bob" not in page
    assert mail.outbox[0].to == ["bob@secret.example"]


def test_member_page_query_count_does_not_grow_with_invitations(client, admin, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin)
    url = reverse("member_list", kwargs={"slug": org.slug})
    client.get(url)  # the switcher's list is cached from here on
    counts = []
    for size in (2, 20):
        for n in range(size - Invitation.objects.for_org(org).count()):
            email = f"q{size}-{n}@x.example"
            invitations.invitation_create(org=org, by=admin, email=email, role="hr")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_member_page_withdraws_an_invitation(client, admin, manager, org):
    invitation = invitations.invitation_create(org=org, by=admin, email="x@example.com", role="hr")
    url = reverse("invitation_revoke", kwargs={"slug": org.slug, "pk": invitation.pk})
    client.force_login(manager)
    assert client.post(url).status_code == 403
    client.force_login(admin)
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_member_page_invitations_are_rate_limited(client, admin, org, settings):
    settings.PERFHUB_RATE_LIMITS = {**settings.PERFHUB_RATE_LIMITS, "invitation_create": "1/h"}
    client.force_login(admin)
    url = reverse("member_list", kwargs={"slug": org.slug})
    assert client.post(url, {"email": "a@example.com", "role": "hr"}).status_code == 302
    response = client.post(url, {"email": "b@example.com", "role": "hr"})
    assert response.status_code == 429
    assert "too many invitations" in response.content.decode()


def test_link_page_sends_a_visitor_to_sign_in_and_back(
    client, admin, org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_create(org=org, by=admin, username="bob", role="hr")
    url = f"/invitations/{_token_from_mail(mail.outbox[0])}/"
    page = client.get(url)
    assert page.status_code == 200 and org.name in page.content.decode()
    assert "next=" + url.replace("/", "%2F") in page.content.decode()
    assert page.context["signup_form"] is None  # a username invitation: sign in only
    # An unknown link: to the sign-in page (and its answer once signed in).
    response = client.get("/invitations/123.abc/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/invitations/123.abc/" in response["Location"]


def test_a_visitor_creates_an_account_from_an_email_invitation_and_joins(
    client, admin, org, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_create(org=org, by=admin, email="dora@example.com", role="hr")
    url = f"/invitations/{_token_from_mail(mail.outbox[0])}/"
    weak = client.post(url, {"username": "dora", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and weak.context["signup_form"].errors["password2"]
    password = "a-long-enough-pass-42"
    response = client.post(url, {"username": "dora", "password1": password, "password2": password})
    assert response.status_code == 302
    dora = get_user_model().objects.get(username="dora")
    assert dora.email == "dora@example.com"
    assert Membership.objects.for_org(org).get(user=dora).role == "hr"
    assert client.get(reverse("org_home", kwargs={"slug": org.slug})).status_code == 200
    # The link is used: nobody creates a second account with it.
    client.logout()
    again = client.post(url, {"username": "dora2", "password1": password, "password2": password})
    assert again.status_code == 302 and again["Location"].startswith(reverse("login"))
    assert not get_user_model().objects.filter(username="dora2").exists()


def test_link_page_shows_the_offer_and_accepts(
    client, admin, org, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_create(org=org, by=admin, email="b@example.com", role="hr")
    url = f"/invitations/{_token_from_mail(mail.outbox[0])}/"
    client.force_login(bob)
    page = client.get(url)
    assert page.status_code == 200 and org.name in page.content.decode()
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"] == reverse("org_home", kwargs={"slug": org.slug})
    assert Membership.objects.for_org(org).get(user=bob).role == "hr"
    used = client.get(url).content.decode()
    assert "already been accepted" in used


def test_link_page_declines(client, admin, org, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_create(org=org, by=admin, email="b@example.com", role="hr")
    url = f"/invitations/{_token_from_mail(mail.outbox[0])}/"
    client.force_login(bob)
    assert client.post(url, {"action": "decline"}).status_code == 302
    assert not _is_member(org, bob)
    assert "declined" in client.get(url).content.decode()


def test_unknown_link_page_says_so(client, bob):
    client.force_login(bob)
    response = client.get("/invitations/1.nothing/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_username_invitation_shows_on_the_invitees_list_and_is_accepted_there(
    client, admin, org, bob, outsider
):
    invitation = invitations.invitation_create(org=org, by=admin, username="bob", role="hr")
    client.force_login(bob)
    # Bob lands on his list (not straight into an organization) while he has one waiting.
    assert client.get(reverse("home"))["Location"] == reverse("org_list")
    page = client.get(reverse("org_list")).content.decode()
    assert org.name in page
    url = reverse("invitation_respond_mine", kwargs={"pk": invitation.pk})
    client.force_login(outsider)
    assert client.post(url, {"action": "accept"}).status_code == 404
    assert org.name not in client.get(reverse("org_list")).content.decode()
    client.force_login(bob)
    assert client.post(url, {"action": "accept"}).status_code == 302
    assert _is_member(org, bob)
