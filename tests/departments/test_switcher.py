"""The organization switcher in every page's navigation is cached per user and follows
membership and organization changes at once (departments.switcher)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.invitations import invitation_accept, invitation_create
from departments.models import Membership, Role
from departments.services import membership_remove, organization_update
from perfhub.tenancy import org_atomic

pytestmark = pytest.mark.django_db


def _switcher_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if "departments_membership" in q["sql"]]
    return page.content.decode(), reads


def test_the_list_is_read_once_then_served_from_the_cache(client, admin, org):
    client.force_login(admin)
    url = f"/o/{org.slug}/"
    _html, first = _switcher_queries(client, url)
    _html, second = _switcher_queries(client, url)
    # The membership check of the request stays; the switcher's list query goes.
    assert len(second) == len(first) - 1


def test_a_new_membership_a_rename_and_a_removal_show_at_once(
    client, admin, org, other_org, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    url = f"/o/{org.slug}/"
    html, _ = _switcher_queries(client, url)
    assert "Globex" not in html
    with django_capture_on_commit_callbacks(execute=True), org_atomic(other_org):
        invitation = invitation_create(
            org=other_org, username=admin.username, role=Role.EXECUTIVE, by=None
        )
        invitation_accept(invitation=invitation, user=admin)
    html, _ = _switcher_queries(client, url)
    assert "Globex" in html
    with django_capture_on_commit_callbacks(execute=True), org_atomic(other_org):
        organization_update(org=other_org, by=None, name="Globex Group")
    html, _ = _switcher_queries(client, url)
    assert "Globex Group" in html
    with django_capture_on_commit_callbacks(execute=True), org_atomic(other_org):
        membership = Membership.objects.for_org(other_org).get(user=admin)
        membership_remove(membership=membership, by=None)
    html, _ = _switcher_queries(client, url)
    assert "Globex" not in html
