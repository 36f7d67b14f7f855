"""API tokens: issued by POST /api/v1/auth/token/ with a name, an expiry and an optional
organization; stored as digests; refused once expired; a token limited to one organization
is a stranger everywhere else."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"


def issue(user, **fields):
    return APIClient().post(
        TOKEN, {"username": user.username, "password": PASSWORD, **fields}, format="json"
    )


def with_key(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_is_stored_as_a_digest_only(admin):
    response = issue(admin, name="CI export")
    assert response.status_code == 200
    body = response.json()
    key = body["token"]
    assert body["name"] == "CI export" and body["organization"] is None
    token = ApiToken.objects.get(user=admin)
    assert token.name == "CI export" and key not in token.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM accounts_apitoken t")
        (row,) = cursor.fetchone()
    assert key not in row  # neither the key nor most of it is anywhere in the row
    assert key[15:] not in row
    assert with_key(key).get("/api/v1/orgs/").status_code == 200


def test_default_and_maximum_lifetime(settings, admin):
    before = timezone.now()
    issue(admin)
    expiry = ApiToken.objects.get(user=admin).expiry
    assert before + timedelta(days=settings.PERFHUB_TOKEN_DAYS) <= expiry
    assert expiry <= timezone.now() + timedelta(days=settings.PERFHUB_TOKEN_DAYS)
    response = issue(admin, expires_in=settings.PERFHUB_TOKEN_MAX_DAYS + 1)
    assert response.status_code == 400 and "expires_in" in response.json()
    response = issue(admin, expires_in=0)
    assert response.status_code == 400 and "expires_in" in response.json()
    assert issue(admin, expires_in=7).status_code == 200


def test_expired_token_is_refused(admin):
    _token, key = token_create(user=admin, expires_in=1)
    assert with_key(key).get("/api/v1/orgs/").status_code == 200
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert with_key(key).get("/api/v1/orgs/").status_code == 401


def test_unknown_or_tampered_key_is_refused(admin):
    _token, key = token_create(user=admin)
    assert (
        with_key(key[:-1] + ("0" if key[-1] != "0" else "1")).get("/api/v1/orgs/").status_code
        == 401
    )
    assert with_key("nonsense").get("/api/v1/orgs/").status_code == 401


def test_scoped_token_works_only_in_its_organization(org, other_org, admin):
    from tests.factories import MembershipFactory

    MembershipFactory(organization=other_org, user=admin, role="admin")
    response = issue(admin, organization=org.slug)
    assert response.status_code == 200 and response.json()["organization"] == org.slug
    client = with_key(response.json()["token"])
    assert client.get(f"/api/v1/orgs/{org.slug}/departments/").status_code == 200
    # A member of the other organization, but the token is not: the non-member's answer.
    assert client.get(f"/api/v1/orgs/{other_org.slug}/").status_code == 404
    assert client.get(f"/api/v1/orgs/{other_org.slug}/departments/").status_code == 404
    response = client.post(
        f"/api/v1/orgs/{other_org.slug}/departments/",
        {"name": "X", "code": "x", "kind": "business", "function": "sales"},
        format="json",
    )
    assert response.status_code == 404
    listed = client.get("/api/v1/orgs/").json()
    assert [o["slug"] for o in listed["results"]] == [org.slug]
    assert client.post("/api/v1/orgs/", {"name": "N", "slug": "n"}).status_code == 403
    # Without an organization: all the user's organizations.
    everywhere = with_key(issue(admin).json()["token"])
    assert everywhere.get(f"/api/v1/orgs/{other_org.slug}/").status_code == 200
    assert len(everywhere.get("/api/v1/orgs/").json()["results"]) == 2


def test_token_for_an_organization_the_user_is_not_in_is_refused(org, other_org, admin):
    for slug in (other_org.slug, "no-such-org"):
        response = issue(admin, organization=slug)
        assert response.status_code == 400
        assert "organization" in response.json()
    assert not ApiToken.objects.exists()


def test_bad_fields_are_named(admin):
    response = issue(admin, name="x" * 101, colour="red")
    assert response.status_code == 400
    assert {"name", "colour"} <= set(response.json())


def test_wrong_password_gives_no_token(admin):
    response = APIClient().post(TOKEN, {"username": admin.username, "password": "nope"})
    assert response.status_code == 400 and "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_token_table_is_read_before_any_organization_is_known(org, admin):
    """Not a tenant table: row-level security must not hide tokens from authentication."""
    from perfhub.rls import tenant_tables

    with connection.cursor() as cursor:
        assert "accounts_apitoken" not in tenant_tables(cursor)
    _token, key = token_create(user=admin, organization=org.slug)
    assert with_key(key).get(f"/api/v1/orgs/{org.slug}/").status_code == 200
