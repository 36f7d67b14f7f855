"""Single sign-on: full redirect flows against a local provider on a loopback port
(tests/accounts/sso_fake.py): OpenID Connect with signed ID tokens, and DingTalk, Feishu and
WeCom. A sign-in links to an existing member by verified e-mail or by the platform user id,
and is refused otherwise; state, CSRF, lockout and the organization boundary hold; password
sign-in can be switched off."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from axes.models import AccessAttempt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import SignOnConfig
from accounts.sso import services
from departments.models import MemberIdentity, Membership, Role
from tests.factories import MembershipFactory, UserFactory

from ..conftest import PASSWORD
from .sso_fake import CLIENT_ID, CLIENT_SECRET, FakeProvider

pytestmark = pytest.mark.django_db
NOT_MEMBER = "Ask your HR to add you."
DID_NOT_COMPLETE = "Single sign-on did not complete."


@pytest.fixture(scope="module")
def fake():
    provider = FakeProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _local_platforms(settings, fake):
    """Every platform address points at the local fake: nothing leaves the machine."""
    settings.SITE_URL = "http://testserver"
    settings.PERFHUB_SSO_DINGTALK_LOGIN_URL = fake.url + "/dingtalk"
    settings.PERFHUB_SSO_DINGTALK_API_URL = fake.url + "/dingtalk"
    settings.PERFHUB_SSO_DINGTALK_OAPI_URL = fake.url + "/dingtalk"
    settings.PERFHUB_SSO_FEISHU_URL = fake.url + "/feishu"
    settings.PERFHUB_SSO_WECOM_LOGIN_URL = fake.url + "/wecom"
    settings.PERFHUB_SSO_WECOM_API_URL = fake.url + "/wecom"
    settings.AXES_FAILURE_LIMIT = 3
    settings.PERFHUB_ADDRESS_FAILURE_LIMIT = 6
    fake.sign_with = fake.key
    fake.client_secret = CLIENT_SECRET
    fake.dingtalk_contacts = {}


def configure(org, provider="oidc", fake=None, **fields):
    values = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    if provider == "oidc":
        values["server_url"] = fake.issuer
        values["name"] = "Keycloak"
    if provider == "wecom":
        values["agent_id"] = "1000002"
    values.update(fields)
    return services.signon_config_save(org=org, provider=provider, by=None, **values)


def member(org, username, email, role=Role.MANAGER):
    user = UserFactory(username=username, email=email)
    MembershipFactory(organization=org, user=user, role=role)
    return user


def browser(ip="10.0.0.9"):
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def start(client, slug, provider, **data):
    return client.post(f"/sso/{slug}/{provider}/", data)


def sign_on(client, fake, slug, provider, account, **data):
    """Start at PerfHub, sign in at the provider as `account`, come back: PerfHub's answer."""
    fake.user = account
    response = start(client, slug, provider, **data)
    assert response.status_code == 302, response.content.decode()[:500]
    back = urlparse(fake.authorize(response["Location"]))
    assert (back.scheme, back.netloc) == ("http", "testserver")
    assert back.path == f"/sso/{slug}/{provider}/callback/"
    return client.get(back.path, parse_qs(back.query))


def main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


def signed_in(client):
    return client.session.get("_auth_user_id")


# --- OpenID Connect -------------------------------------------------------------------------
def test_first_sign_in_links_a_member_by_verified_email_and_later_by_the_link(org, fake):
    configure(org, fake=fake)
    ann = member(org, "ann", "ann@example.com")
    client = browser()
    account = {"sub": "kc-1", "email": "ANN@example.com", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 302 and response["Location"] == "/o/acme/"
    assert signed_in(client) == str(ann.pk)
    identity = MemberIdentity.objects.for_org(org).get(user=ann)
    assert (identity.provider, identity.uid) == ("oidc", "kc-1")
    # Later: the link, whatever the e-mail says now.
    other = browser("10.0.0.10")
    response = sign_on(other, fake, "acme", "oidc", {"sub": "kc-1", "email": "x@elsewhere.org"})
    assert response.status_code == 302 and signed_in(other) == str(ann.pk)
    assert client.get("/o/acme/").status_code == 200


def test_first_sign_in_links_by_the_platform_user_id_of_the_import(org, fake):
    configure(org, fake=fake)
    bob = member(org, "bob", "bob@example.com")
    MemberIdentity.objects.create(organization=org, user=bob, provider="oidc", uid="kc-77")
    client = browser()
    response = sign_on(client, fake, "acme", "oidc", {"sub": "kc-77"})
    assert response.status_code == 302 and signed_in(client) == str(bob.pk)


def test_an_inactive_member_is_refused_by_email_and_by_link(org, fake):
    configure(org, fake=fake)
    dora = member(org, "dora", "dora@example.com")
    MemberIdentity.objects.create(organization=org, user=dora, provider="oidc", uid="kc-9")
    Membership.objects.for_org(org).filter(user=dora).update(is_active=False)
    for account in (
        {"sub": "kc-9"},
        {"sub": "kc-10", "email": "dora@example.com", "email_verified": True},
    ):
        client = browser()
        response = sign_on(client, fake, "acme", "oidc", account)
        assert response.status_code == 403 and signed_in(client) is None


def test_an_unverified_email_is_refused_and_nothing_is_created(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    users = get_user_model().objects.count()
    client = browser()
    account = {"sub": "kc-2", "email": "ann@example.com", "email_verified": False}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 403 and NOT_MEMBER in response.content.decode()
    assert not signed_in(client)
    assert not MemberIdentity.objects.for_org(org).exists()
    assert get_user_model().objects.count() == users
    assert AccessAttempt.objects.filter(username="sso:oidc:kc-2").exists()  # counted


def test_someone_who_is_no_member_is_refused_without_an_account_being_made(org, other_org, fake):
    configure(org, fake=fake)
    member(other_org, "gil", "gil@globex.com")  # a member of another organization only
    users = get_user_model().objects.count()
    client = browser()
    account = {"sub": "kc-3", "email": "gil@globex.com", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 403 and NOT_MEMBER in response.content.decode()
    stranger = {"sub": "kc-4", "email": "new@nowhere.org", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", stranger)
    assert response.status_code == 403 and not signed_in(client)
    assert get_user_model().objects.count() == users
    assert not MemberIdentity.objects.for_org(org).exists()


def test_two_accounts_with_the_address_are_refused(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    member(org, "ann2", "Ann@Example.com")
    client = browser()
    account = {"sub": "kc-5", "email": "ann@example.com", "email_verified": True}
    assert sign_on(client, fake, "acme", "oidc", account).status_code == 403


def test_a_tampered_or_missing_state_is_refused(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    client = browser()
    fake.user = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    back = urlparse(fake.authorize(start(client, "acme", "oidc")["Location"]))
    query = parse_qs(back.query)
    tampered = {**query, "state": [query["state"][0][:-2] + "xx"]}
    response = client.get(back.path, tampered)
    assert response.status_code == 400 and DID_NOT_COMPLETE in response.content.decode()
    response = client.get(back.path, {"code": query["code"]})
    assert response.status_code == 400 and not signed_in(client)
    # The state of another browser's session is not this one's.
    response = browser("10.0.0.11").get(back.path, query)
    assert response.status_code == 400
    # And the state works once: the right one now, then never again.
    assert client.get(back.path, query).status_code in (302, 400)


def test_the_start_needs_the_csrf_token(org, fake):
    configure(org, fake=fake)
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.9")
    assert client.post("/sso/acme/oidc/").status_code == 403
    page = client.get("/sso/acme/")
    token = page.context["csrf_token"]
    response = client.post("/sso/acme/oidc/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302 and response["Location"].startswith(fake.url)
    assert client.get("/sso/acme/oidc/").status_code == 405  # never a GET


def test_an_id_token_signed_by_another_key_is_refused(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    fake.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    client = browser()
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 400 and not signed_in(client)


def test_a_wrong_client_secret_is_refused(org, fake):
    configure(org, fake=fake, client_secret="not-the-secret")
    member(org, "ann", "ann@example.com")
    client = browser()
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    assert sign_on(client, fake, "acme", "oidc", account).status_code == 400


def test_another_organizations_configuration_is_not_usable(org, other_org, fake):
    configure(other_org, fake=fake)
    ann = member(org, "ann", "ann@example.com")
    client = browser()
    # acme has no sign-on: its address answers as a missing one.
    assert start(client, "acme", "oidc").status_code == 404
    # globex's provider does not sign in acme's members.
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    response = sign_on(client, fake, "globex", "oidc", account)
    assert response.status_code == 403 and not signed_in(client)
    assert not MemberIdentity.objects.filter(organization=other_org).exists()
    # A state of globex's flow is not accepted at acme's callback.
    configure(org, fake=fake)
    fake.user = account
    back = urlparse(fake.authorize(start(client, "globex", "oidc")["Location"]))
    response = client.get("/sso/acme/oidc/callback/", parse_qs(back.query))
    assert response.status_code == 400 and not signed_in(client)
    assert ann.pk  # unchanged


def test_a_disabled_configuration_and_a_missing_organization_answer_alike(org, fake):
    configure(org, fake=fake, enabled=False)
    client = browser()
    assert start(client, "acme", "oidc").status_code == 404
    assert start(client, "no-such-org", "oidc").status_code == 404
    assert start(client, "acme", "facebook").status_code == 404
    missing = client.get("/sso/no-such-org/").content.decode()
    disabled = client.get("/sso/acme/").content.decode()
    assert "No single sign-on is set up at this address" in missing
    assert main(missing).replace("no-such-org", "acme") == main(disabled)
    assert client.get("/sso/acme/oidc/callback/", {"code": "x", "state": "y"}).status_code == 400


def test_the_sign_on_pages_are_rate_limited_per_address(org, fake, settings):
    settings.PERFHUB_SSO_RATE_ADDRESS = "3/h"
    client = browser("10.0.0.50")
    for _ in range(3):
        assert client.get("/sso/acme/").status_code == 200
    assert client.get("/sso/other/").status_code == 429
    assert browser("10.0.0.51").get("/sso/acme/").status_code == 200


def test_a_locked_out_account_cannot_sign_in_by_sso(org, fake):
    configure(org, fake=fake)
    ann = member(org, "ann", "ann@example.com")
    client = browser()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "ann", "password": "wrong"})
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 429 and "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)
    assert ann.pk


def test_failed_sso_counts_towards_the_address_lockout(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    client = browser("10.0.0.77")
    for n in range(5):
        response = sign_on(client, fake, "acme", "oidc", {"sub": f"nobody-{n}"})
        assert response.status_code == 403
    # The failure that reaches the address limit is answered with the lockout.
    assert sign_on(client, fake, "acme", "oidc", {"sub": "nobody-6"}).status_code == 429
    assert start(client, "acme", "oidc").status_code == 429
    # The right account from the locked address is refused too.
    assert client.get("/sso/acme/oidc/callback/", {"code": "x", "state": "y"}).status_code == 429


def test_the_next_address_is_kept_and_a_foreign_one_dropped(org, fake):
    configure(org, fake=fake)
    member(org, "ann", "ann@example.com")
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    response = sign_on(browser(), fake, "acme", "oidc", account, next="/profile/")
    assert response["Location"] == "/profile/"
    response = sign_on(browser(), fake, "acme", "oidc", account, next="https://evil.test/")
    assert response["Location"] == "/o/acme/"


# --- DingTalk, Feishu, WeCom ----------------------------------------------------------------
def test_dingtalk_links_by_the_contacts_userid_of_the_import(org, fake):
    configure(org, "dingtalk")
    dan = member(org, "dan", "dan@example.com")
    MemberIdentity.objects.create(organization=org, user=dan, provider="dingtalk", uid="manager01")
    fake.dingtalk_contacts = {"u-dan": "manager01"}
    client = browser()
    account = {"unionId": "u-dan", "openId": "o-1", "nick": "Dan"}
    response = sign_on(client, fake, "acme", "dingtalk", account)
    assert response.status_code == 302 and signed_in(client) == str(dan.pk)
    assert "/dingtalk/topapi/user/getbyunionid" in fake.requests


def test_dingtalk_links_by_the_union_id_of_the_import(org, fake):
    configure(org, "dingtalk")
    dan = member(org, "dan", "dan@example.com")
    MemberIdentity.objects.create(organization=org, user=dan, provider="dingtalk", uid="u-dan")
    client = browser()
    account = {"unionId": "u-dan", "openId": "o-1", "nick": "Dan", "email": "dan@example.com"}
    response = sign_on(client, fake, "acme", "dingtalk", account)
    assert response.status_code == 302 and signed_in(client) == str(dan.pk)
    # DingTalk's e-mail is the user's own: no link by it.
    response = sign_on(browser(), fake, "acme", "dingtalk", {**account, "unionId": "u-x"})
    assert response.status_code == 403


def test_feishu_links_by_the_company_email_then_by_the_user_id(org, fake):
    configure(org, "feishu")
    fay = member(org, "fay", "fay@acme.cn")
    client = browser()
    account = {
        "user_id": "fs-fay",
        "open_id": "ou_1",
        "union_id": "on_1",
        "name": "Fay",
        "enterprise_email": "fay@acme.cn",
    }
    response = sign_on(client, fake, "acme", "feishu", account)
    assert response.status_code == 302 and signed_in(client) == str(fay.pk)
    assert MemberIdentity.objects.for_org(org).get(user=fay).uid == "fs-fay"
    personal = {**account, "user_id": "fs-2", "enterprise_email": "", "email": "fay@acme.cn"}
    assert sign_on(browser(), fake, "acme", "feishu", personal).status_code == 403


def test_wecom_links_by_the_userid_of_the_import(org, fake):
    configure(org, "wecom")
    wen = member(org, "wen", "wen@example.com")
    MemberIdentity.objects.create(organization=org, user=wen, provider="wecom", uid="WenLi")
    client = browser()
    response = sign_on(client, fake, "acme", "wecom", {"userid": "WenLi", "name": "Wen"})
    assert response.status_code == 302 and signed_in(client) == str(wen.pk)
    assert "/wecom/cgi-bin/user/get" in fake.requests
    response = sign_on(browser(), fake, "acme", "wecom", {"userid": "Stranger"})
    assert response.status_code == 403 and NOT_MEMBER in response.content.decode()


def test_wecom_with_a_wrong_secret_does_not_complete(org, fake):
    configure(org, "wecom", client_secret="wrong")
    member(org, "wen", "wen@example.com")
    response = sign_on(browser(), fake, "acme", "wecom", {"userid": "WenLi"})
    assert response.status_code == 400 and DID_NOT_COMPLETE in response.content.decode()


# --- Password sign-in switched off ----------------------------------------------------------
def test_password_off_refuses_passwords_of_members_but_not_sso(org, other_org, fake):
    configure(org, fake=fake)
    ann = member(org, "ann", "ann@example.com")
    member(other_org, "ann-elsewhere", "ae@example.com")
    services.password_sign_in_set(org=org, allowed=False, by=None)
    client = browser()
    response = client.post("/accounts/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 200 and not signed_in(client)
    assert "signs in with single sign-on only" in response.content.decode()
    # A wrong password says nothing of the policy.
    response = client.post("/accounts/login/", {"username": "ann", "password": "nope"})
    assert "single sign-on only" not in response.content.decode()
    api = APIClient(REMOTE_ADDR="10.0.0.9", HTTP_ACCEPT_LANGUAGE="en")
    answer = api.post("/api/v1/auth/token/", {"username": "ann", "password": PASSWORD})
    assert answer.status_code == 400 and "single sign-on only" in str(answer.json())
    # Only the wrong password counted as a failure.
    assert AccessAttempt.objects.get(username="ann").failures_since_start == 1
    # Members of an organization that keeps passwords are not concerned.
    response = browser("10.0.0.3").post(
        "/accounts/login/", {"username": "ann-elsewhere", "password": PASSWORD}
    )
    assert response.status_code == 302
    account = {"sub": "kc-1", "email": "ann@example.com", "email_verified": True}
    response = sign_on(client, fake, "acme", "oidc", account)
    assert response.status_code == 302 and signed_in(client) == str(ann.pk)


def test_password_off_holds_a_member_of_several_organizations_but_not_a_superuser(
    org, other_org, fake
):
    configure(org, fake=fake)
    both = member(org, "both", "both@example.com")
    MembershipFactory(organization=other_org, user=both, role=Role.ADMIN)
    root = member(org, "root", "root@example.com", role=Role.ADMIN)
    root.is_superuser = True
    root.save()
    services.password_sign_in_set(org=org, allowed=False, by=None)
    assert (
        browser().post("/accounts/login/", {"username": "both", "password": PASSWORD}).status_code
        == 200
    )
    response = browser().post("/accounts/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302


def test_password_off_needs_an_enabled_sign_on_and_keeps_the_last_one(org, fake):
    with pytest.raises(services.ValidationError) as refused:
        services.password_sign_in_set(org=org, allowed=False, by=None)
    assert "password_sign_in" in refused.value.message_dict
    configure(org, fake=fake)
    services.password_sign_in_set(org=org, allowed=False, by=None)
    with pytest.raises(services.ValidationError):
        configure(org, fake=fake, enabled=False)
    with pytest.raises(services.ValidationError):
        services.signon_config_delete(org=org, provider="oidc", by=None)
    assert SignOnConfig.objects.for_org(org).get().enabled


def test_the_sign_on_page_shows_the_buttons_and_the_password_off_notice(org, fake):
    configure(org, fake=fake)
    page = browser().get("/sso/acme/").content.decode()
    assert "Sign in with Keycloak" in page and "Password sign-in is switched off" not in page
    services.password_sign_in_set(org=org, allowed=False, by=None)
    page = browser().get("/sso/acme/").content.decode()
    assert "Password sign-in is switched off" in page
    assert browser().get("/sso/", {"org": "Acme "})["Location"] == "/sso/acme/"
    assert 'action="/sso/"' in browser().get("/accounts/login/").content.decode()


def test_the_client_secret_is_encrypted_at_rest(org, fake):
    config = configure(org, fake=fake)
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM accounts_signonconfig WHERE id = %s", [config.pk])
        stored = cursor.fetchone()[0]
    assert CLIENT_SECRET not in stored and stored.startswith("gAAAA")
    # An empty secret keeps the stored one.
    configure(org, fake=fake, client_secret="", name="Authing")
    assert SignOnConfig.objects.for_org(org).get().client_secret == CLIENT_SECRET


def test_a_new_configuration_names_each_missing_field(org):
    with pytest.raises(services.ValidationError) as refused:
        services.signon_config_save(org=org, provider="oidc", by=None, client_id="x")
    assert set(refused.value.message_dict) == {"client_secret", "server_url"}
    with pytest.raises(services.ValidationError) as refused:
        services.signon_config_save(
            org=org, provider="wecom", by=None, client_id="x", client_secret="y"
        )
    assert set(refused.value.message_dict) == {"agent_id"}


def test_lockout_cool_off_is_the_configured_one(settings):
    assert timedelta(minutes=1) <= settings.AXES_COOLOFF_TIME
