"""The profile page lists the user's own API tokens, makes new ones (the key shown once)
and revokes them; another user's token cannot be revoked."""

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create

pytestmark = pytest.mark.django_db


def works(key, path="/api/v1/orgs/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(path).status_code == 200


def test_profile_lists_own_tokens_only(client, admin, hr, org):
    token_create(user=admin, name="Reporting <b>script</b>", organization=org.slug)
    token_create(user=hr, name="HR's own")
    client.force_login(admin)
    page = client.get("/profile/").content.decode()
    assert "Reporting &lt;b&gt;script&lt;/b&gt;" in page and "Acme" in page
    assert "HR&#x27;s own" not in page and "HR's own" not in page


def test_profile_makes_a_token_and_shows_its_key_once(client, admin, org):
    client.force_login(admin)
    response = client.post(
        "/profile/tokens/", {"name": "Sync", "expires_in": "30", "organization": org.slug}
    )
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get(user=admin)
    assert token.name == "Sync" and token.scope_organization == org
    assert works(key, f"/api/v1/orgs/{org.slug}/")
    assert key not in client.get("/profile/").content.decode()


def test_profile_token_form_names_the_bad_field(client, admin, other_org):
    client.force_login(admin)
    response = client.post("/profile/tokens/", {"name": "X", "expires_in": "9999"})
    assert response.status_code == 400
    assert response.context["token_form"].errors.keys() == {"expires_in"}
    response = client.post(
        "/profile/tokens/", {"name": "X", "expires_in": "5", "organization": other_org.slug}
    )
    assert response.status_code == 400 and "organization" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_revoke_from_the_profile_ends_the_token(client, admin):
    token, key = token_create(user=admin, name="Old")
    _other, other_key = token_create(user=admin, name="Keep")
    client.force_login(admin)
    response = client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not works(key) and works(other_key)


def test_another_users_token_cannot_be_revoked(client, admin, hr):
    token, key = token_create(user=hr)
    client.force_login(admin)
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 405
    assert works(key)


def test_token_pages_need_sign_in(client, admin):
    token, _key = token_create(user=admin)
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 302
    assert client.post("/profile/tokens/", {"expires_in": "5"}).status_code == 302
    assert ApiToken.objects.count() == 1
