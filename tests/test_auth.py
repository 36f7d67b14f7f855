"""Signing in: lockout after repeated failures (browser form and API token alike), per
account from one address, with a second, higher limit per address; a success clears the
count; the lockout ends after the cool-off."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.PERFHUB_ADDRESS_FAILURE_LIMIT = 8


def test_default_lockout_is_per_account_and_address_with_a_higher_address_limit():
    from perfhub import settings  # as shipped, before the test's own limits

    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.PERFHUB_ADDRESS_FAILURE_LIMIT >= 5 * settings.AXES_FAILURE_LIMIT
    assert settings.AXES_HANDLER == "perfhub.auth.SignInAttempts"


def browser(ip="10.0.0.1", lang="en"):
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def token(username, password, ip="10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en").post(
        TOKEN, {"username": username, "password": password}, format="json"
    )


def test_browser_sign_in_locks_the_account_after_the_limit(admin):
    client = browser()
    for _ in range(2):
        assert sign_in(client, admin.username, "wrong").status_code == 200
    assert sign_in(client, admin.username, "wrong").status_code == 429  # the limit-th
    response = sign_in(client, admin.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_message_is_translated(admin):
    client = browser(lang="zh-hans")
    for _ in range(3):
        sign_in(client, admin.username, "wrong")
    response = sign_in(client, admin.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_guesses_at_one_account_lock_neither_another_account_nor_another_address(admin, hr):
    for _ in range(3):
        sign_in(browser("10.0.0.1"), admin.username, "wrong")
    assert sign_in(browser("10.0.0.1"), admin.username, PASSWORD).status_code == 429
    # Another user behind the same address (an office NAT, the proxy) signs in ...
    assert sign_in(browser("10.0.0.1"), hr.username, PASSWORD).status_code == 302
    # ... and so does the guessed-at user from their own address.
    assert sign_in(browser("10.0.0.2"), admin.username, PASSWORD).status_code == 302


def test_guesses_across_many_accounts_from_one_address_lock_that_address(admin, hr):
    client = browser("10.0.0.7")
    for n in range(7):
        assert sign_in(client, f"nobody-{n}", "guess").status_code == 200
    assert sign_in(client, "nobody-7", "guess").status_code == 429  # the 8th failure
    assert sign_in(client, hr.username, PASSWORD).status_code == 429
    assert token(admin.username, PASSWORD, ip="10.0.0.7").status_code == 429
    # The same accounts from another address sign in.
    assert sign_in(browser("10.0.0.8"), hr.username, PASSWORD).status_code == 302
    assert token(admin.username, PASSWORD, ip="10.0.0.8").status_code == 200


def test_address_limit_ends_after_the_cool_off(hr):
    for n in range(8):
        sign_in(browser("10.0.0.7"), f"nobody-{n}", "guess")
    assert sign_in(browser("10.0.0.7"), hr.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(browser("10.0.0.7"), hr.username, PASSWORD).status_code == 302


def test_api_token_is_locked_out_like_the_browser_form(admin):
    for _ in range(2):
        assert token(admin.username, "wrong").status_code == 400
    assert token(admin.username, "wrong").status_code == 429
    response = token(admin.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.json()["detail"]
    assert "token" not in response.json()


def test_failures_on_the_api_and_the_form_add_up(admin):
    token(admin.username, "wrong")
    sign_in(browser(), admin.username, "wrong")
    token(admin.username, "wrong")
    assert sign_in(browser(), admin.username, PASSWORD).status_code == 429


def test_a_successful_sign_in_clears_the_failures(admin):
    client = browser()
    for _ in range(2):
        sign_in(client, admin.username, "wrong")
    assert sign_in(client, admin.username, PASSWORD).status_code == 302
    client = browser()
    for _ in range(2):
        sign_in(client, admin.username, "wrong")
    assert sign_in(client, admin.username, PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(admin):
    for _ in range(3):
        sign_in(browser(), admin.username, "wrong")
    assert token(admin.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert token(admin.username, PASSWORD).status_code == 200


def test_separate_setting_locks_the_account_everywhere_and_the_address(settings, admin, hr):
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    for _ in range(3):
        sign_in(browser("10.0.0.1"), admin.username, "wrong")
    assert sign_in(browser("10.0.0.2"), admin.username, PASSWORD).status_code == 429
    assert sign_in(browser("10.0.0.1"), hr.username, PASSWORD).status_code == 429


def test_client_address_behind_a_proxy(settings, rf):
    from perfhub.auth import client_ip

    request = rf.get("/", REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.PERFHUB_PROXY_COUNT = 0
    assert client_ip(request) == "172.16.0.2"
    settings.PERFHUB_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # the forged first hop is ignored
