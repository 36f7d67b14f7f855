"""The organization's sign-on settings, page and API: its admin only (other organization →
404, other roles → 403); the client secret is write-only and never shown back."""

import pytest

from accounts.models import SignOnConfig
from accounts.sso import services

pytestmark = pytest.mark.django_db
PAGE = "/o/acme/settings/sign-on/"
API = "/api/v1/orgs/acme/sign-on/"
SECRET = "do-not-show-me-42"  # noqa: S105


@pytest.fixture
def oidc(org):
    return services.signon_config_save(
        org=org,
        provider="oidc",
        by=None,
        client_id="perfhub",
        client_secret=SECRET,
        server_url="https://sso.example.com/realms/acme",
        name="Keycloak",
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("hr", 403), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_role_matrix_of_the_pages(role_users, login, oidc, who, status):
    client = login(role_users[who])
    assert client.get(PAGE).status_code == status
    assert client.get(PAGE + "oidc/").status_code == status
    assert client.post(PAGE + "oidc/remove/").status_code in (
        {200: 302}.get(status, status),
        400,
    )


def test_the_settings_page_lists_every_provider_with_its_redirect_uri(admin, login, oidc, settings):
    settings.SITE_URL = "https://perfhub.example.com"
    page = login(admin).get(PAGE).content.decode()
    for label in ("DingTalk", "Feishu", "WeCom", "Keycloak"):
        assert label in page
    assert "https://perfhub.example.com/sso/acme/wecom/callback/" in page
    assert SECRET not in page
    assert SECRET not in login(admin).get(PAGE + "oidc/").content.decode()


def test_the_admin_sets_up_a_provider_and_the_secret_stays_write_only(admin, login, org):
    client = login(admin)
    response = client.post(
        PAGE + "wecom/",
        {"enabled": "on", "client_id": "ww123", "client_secret": SECRET, "agent_id": "1000002"},
    )
    assert response.status_code == 302
    config = SignOnConfig.objects.for_org(org).get(provider="wecom")
    assert (config.client_id, config.client_secret, config.agent_id) == ("ww123", SECRET, "1000002")
    # A change without a secret keeps it.
    response = client.post(PAGE + "wecom/", {"enabled": "on", "client_id": "ww9", "agent_id": "7"})
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.client_id, config.client_secret) == ("ww9", SECRET)


def test_a_bad_configuration_names_its_fields(admin, login, org):
    response = login(admin).post(PAGE + "oidc/", {"client_id": "x", "server_url": "not a url"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"client_secret", "server_url"} <= set(errors)
    assert not SignOnConfig.objects.for_org(org).exists()
    assert login(admin).get(PAGE + "facebook/").status_code == 404


def test_password_sign_in_is_switched_off_only_with_a_sign_on(admin, login, org, oidc):
    client = login(admin)
    response = client.post(PAGE, {})  # the box unticked
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.password_sign_in is False
    response = client.post(PAGE + "oidc/remove/")
    assert SignOnConfig.objects.for_org(org).exists()  # refused: the last way in
    client.post(PAGE, {"password_sign_in": "on"})
    org.refresh_from_db()
    assert org.password_sign_in is True
    assert client.post(PAGE + "oidc/remove/").status_code == 302
    assert not SignOnConfig.objects.for_org(org).exists()
    response = client.post(PAGE, {})
    assert response.status_code == 200
    assert "keep at least one single sign-on enabled" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("hr", 403), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_role_matrix_of_the_api(role_users, api, oidc, who, status):
    client = api(role_users[who])
    assert client.get(API).status_code == status
    assert client.get(API + "oidc/").status_code == status
    assert client.get("/api/v1/orgs/acme/sign-on-policy/").status_code == status
    put = client.put(API + "feishu/", {"client_id": "cli", "client_secret": "x"}, format="json")
    assert put.status_code == status


def test_the_api_never_returns_the_secret(admin, api, org, oidc):
    client = api(admin)
    listed = client.get(API).json()
    assert [row["provider"] for row in listed] == ["oidc"]
    assert listed[0]["has_secret"] is True and "client_secret" not in listed[0]
    assert listed[0]["redirect_uri"].endswith("/sso/acme/oidc/callback/")
    answer = client.put(
        API + "dingtalk/", {"client_id": "ding", "client_secret": SECRET}, format="json"
    )
    assert answer.status_code == 200 and SECRET not in answer.content.decode()
    refused = client.put(API + "wecom/", {"client_id": "w", "secret": "x"}, format="json")
    assert refused.status_code == 400 and {"secret", "client_secret", "agent_id"} >= set(
        refused.json()
    )
    assert client.get(API + "wecom/").status_code == 404
    assert client.get(API + "facebook/").status_code == 404
    policy = client.put("/api/v1/orgs/acme/sign-on-policy/", {"password_sign_in": False})
    assert policy.status_code == 200 and policy.json() == {"password_sign_in": False}
    assert client.delete(API + "dingtalk/").status_code == 204


def test_the_list_reads_a_fixed_number_of_queries(
    admin, api, org, oidc, django_assert_max_num_queries
):
    client = api(admin)
    with django_assert_max_num_queries(8):
        client.get(API)
    for provider in ("dingtalk", "feishu"):
        services.signon_config_save(
            org=org, provider=provider, by=None, client_id="c", client_secret="s"
        )
    with django_assert_max_num_queries(8):
        assert len(client.get(API).json()) == 3
