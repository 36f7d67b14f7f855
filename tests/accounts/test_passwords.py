"""Passwords: a change by any path (the change page, the reset link, the admin, a service's
set_password) ends every API token and every other session of the user; the page that
changed it stays signed in. Reset by email answers the same for any address. Both pages
are rate-limited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import UserSession
from accounts.services import token_create
from perfhub.auth import user_sign_out_everywhere

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-pass-42"


def works(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/orgs/").status_code == 200


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def is_signed_in(client):
    return client.get("/orgs/").status_code == 200


@pytest.fixture
def elsewhere(admin):
    """The user's token and session on another device, and another user's."""
    _token, key = token_create(user=admin)
    return {"key": key, "browser": signed_in(admin)}


def assert_ended(elsewhere):
    assert not works(elsewhere["key"])
    assert not is_signed_in(elsewhere["browser"])


def test_change_page_ends_tokens_and_other_sessions_and_keeps_this_one(admin, hr, elsewhere):
    _t, hr_key = token_create(user=hr)
    hr_browser = signed_in(hr)
    client = signed_in(admin)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response.url == "/profile/"
    assert_ended(elsewhere)
    assert is_signed_in(client)  # update_session_auth_hash: this session lives on
    assert UserSession.objects.filter(user=admin).count() == 1
    assert works(hr_key) and is_signed_in(hr_browser)  # other users untouched
    admin.refresh_from_db()
    assert admin.check_password(NEW)


def test_change_page_refuses_a_wrong_old_password(admin, elsewhere):
    client = signed_in(admin)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200 and "old_password" in response.context["form"].errors
    assert works(elsewhere["key"]) and is_signed_in(elsewhere["browser"])


def test_change_page_needs_sign_in(client):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_set_password_in_any_service_ends_tokens_and_sessions(admin, elsewhere):
    user = get_user_model().objects.get(pk=admin.pk)
    user.set_password(NEW)
    user.save(update_fields=["password"])
    assert_ended(elsewhere)


def test_saving_without_a_new_password_ends_nothing(admin, elsewhere):
    admin.first_name = "Alice"
    admin.save()
    assert works(elsewhere["key"]) and is_signed_in(elsewhere["browser"])


def test_admin_password_change_ends_tokens_and_sessions(admin, elsewhere):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    operator = signed_in(superuser)
    response = operator.post(
        f"/admin/auth/user/{admin.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert_ended(elsewhere)
    assert is_signed_in(operator)


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_by_email_end_to_end(settings, admin, elsewhere):
    settings.SITE_URL = "https://perfhub.example.com"
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": admin.email.upper()})
    assert response.status_code == 302 and response.url == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [admin.email]
    assert "https://perfhub.example.com/accounts/password/reset/" in mail.outbox[0].body
    link = _reset_link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302 and response.url == "/accounts/password/reset/done/"
    assert_ended(elsewhere)
    signed = Client().post("/accounts/login/", {"username": admin.username, "password": NEW})
    assert signed.status_code == 302
    # The link works once.
    again = Client().get(link, follow=True)
    assert not again.context["validlink"]


def test_reset_answers_the_same_for_an_unknown_address(admin):
    known = Client().post("/accounts/password/reset/", {"email": admin.email})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1


def test_reset_link_names_the_site_not_the_host_header(settings, admin):
    settings.SITE_URL = "https://perfhub.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    Client(HTTP_HOST="evil.example.net").post("/accounts/password/reset/", {"email": admin.email})
    assert "evil.example.net" not in mail.outbox[0].body


def test_reset_requests_are_limited_per_email_address(settings, admin):
    settings.PERFHUB_PASSWORD_RESET_RATE_EMAIL = "2/h"
    for n in range(2):
        response = Client(REMOTE_ADDR=f"10.0.0.{n}").post(
            "/accounts/password/reset/", {"email": admin.email}
        )
        assert response.status_code == 302
    response = Client(REMOTE_ADDR="10.0.0.9", HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/password/reset/", {"email": f" {admin.email.upper()} "}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert len(mail.outbox) == 2
    # Another address is not held up by it.
    assert Client().post("/accounts/password/reset/", {"email": "x@example.com"}).status_code == 302


def test_reset_requests_are_limited_per_client_address(settings, admin):
    settings.PERFHUB_PASSWORD_RESET_RATE_ADDRESS = "3/h"
    client = Client(REMOTE_ADDR="10.1.1.1")
    for n in range(3):
        assert (
            client.post("/accounts/password/reset/", {"email": f"a{n}@example.com"}).status_code
            == 302
        )
    assert client.post("/accounts/password/reset/", {"email": admin.email}).status_code == 429
    assert mail.outbox == []
    other = Client(REMOTE_ADDR="10.1.1.2")
    assert other.post("/accounts/password/reset/", {"email": admin.email}).status_code == 302


def test_reset_limit_reads_the_address_behind_the_proxy(settings, admin):
    settings.PERFHUB_PASSWORD_RESET_RATE_ADDRESS = "1/h"
    settings.PERFHUB_PROXY_COUNT = 1
    first = Client(REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR="203.0.113.1")
    second = Client(REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert first.post("/accounts/password/reset/", {"email": "a@example.com"}).status_code == 302
    assert second.post("/accounts/password/reset/", {"email": "b@example.com"}).status_code == 302
    assert first.post("/accounts/password/reset/", {"email": "c@example.com"}).status_code == 429


def test_change_attempts_are_limited_per_user(settings, admin):
    settings.PERFHUB_PASSWORD_CHANGE_RATE = "2/h"
    client = signed_in(admin)
    wrong = {"old_password": "guess", "new_password1": NEW, "new_password2": NEW}
    for _ in range(2):
        assert client.post("/accounts/password/change/", wrong).status_code == 200
    right = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    assert client.post("/accounts/password/change/", right).status_code == 429
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)


def test_password_pages_in_chinese(admin):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "忘记密码" in client.get("/accounts/login/").content.decode()
    assert "忘记密码" in client.get("/accounts/password/reset/").content.decode()
    assert (
        "修改密码"
        in signed_in(admin)
        .get("/accounts/password/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )


def test_sign_out_everywhere_is_two_queries_whatever_the_sessions(
    admin, hr, django_assert_num_queries
):
    for _ in range(3):
        signed_in(hr)
        signed_in(admin)
        token_create(user=admin)
    with django_assert_num_queries(2):
        ended = user_sign_out_everywhere(user_id=admin.pk)
    assert ended == 3
    assert UserSession.objects.filter(user=hr).count() == 3
