"""A member removed from an organization (page, API or service) loses it at once: their
existing browser session and API token answer 404 there on the very next request. When it
was their last organization, their tokens are deleted and their sessions ended."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.models import UserSession as Session
from accounts.services import token_create
from departments.models import Membership, Role
from departments.services import membership_remove
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _remove_by_page(org, admin, membership):
    client = Client()
    client.force_login(admin)
    response = client.post(f"/o/{org.slug}/members/{membership.pk}/", {"action": "remove"})
    assert response.status_code == 302


def _remove_by_api(org, admin, membership):
    client = APIClient()
    client.force_authenticate(admin)
    response = client.delete(f"/api/v1/orgs/{org.slug}/members/{membership.pk}/")
    assert response.status_code == 204


def _remove_by_service(org, admin, membership):
    membership_remove(membership=membership, by=admin)


REMOVALS = [_remove_by_page, _remove_by_api, _remove_by_service]


def _signed_in(user):
    browser = Client()
    browser.force_login(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user)[1]}")
    return browser, api


@pytest.mark.parametrize("remove", REMOVALS, ids=lambda f: f.__name__)
def test_removed_member_loses_the_org_in_session_and_token(
    remove, org, other_org, admin, hr, sales
):
    """Still a member elsewhere, so the session and token live on: the per-request
    membership check alone shuts them out of this organization."""
    MembershipFactory(organization=other_org, user=hr, role=Role.HR)
    browser, api = _signed_in(hr)
    assert browser.get(f"/o/{org.slug}/departments/").status_code == 200
    assert api.get(f"/api/v1/orgs/{org.slug}/departments/").status_code == 200
    remove(org, admin, Membership.objects.for_org(org).get(user=hr))
    assert browser.get(f"/o/{org.slug}/departments/").status_code == 404
    assert api.get(f"/api/v1/orgs/{org.slug}/departments/").status_code == 404
    response = api.post(
        f"/api/v1/orgs/{org.slug}/departments/",
        {"name": "X", "code": "x", "kind": "business", "function": "sales"},
        format="json",
    )
    assert response.status_code == 404
    assert not Membership.objects.for_org(org).filter(user=hr).exists()


@pytest.mark.parametrize("remove", REMOVALS, ids=lambda f: f.__name__)
def test_last_membership_removed_ends_tokens_and_sessions(remove, org, admin, hr):
    browser, api = _signed_in(hr)
    other_browser = Client()
    other_browser.force_login(admin)  # someone else's session is untouched
    remove(org, admin, Membership.objects.for_org(org).get(user=hr))
    assert not ApiToken.objects.filter(user=hr).exists()
    assert api.get("/api/v1/orgs/").status_code == 401
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(hr.pk) not in sessions and str(admin.pk) in sessions
    assert browser.get("/orgs/").status_code == 302  # back to the sign-in page
    assert other_browser.get(f"/o/{org.slug}/").status_code == 200


def test_member_of_another_org_keeps_token_and_session_there(org, other_org, admin, hr):
    MembershipFactory(organization=other_org, user=hr, role=Role.HR)
    browser, api = _signed_in(hr)
    _remove_by_api(org, admin, Membership.objects.for_org(org).get(user=hr))
    assert api.get(f"/api/v1/orgs/{other_org.slug}/").status_code == 200
    assert browser.get(f"/o/{other_org.slug}/").status_code == 200
