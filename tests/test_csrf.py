"""CSRF is enforced on every unsafe request made with a browser session: every page URL
and every API URL of the URLconf is tried with POST (and the API with PATCH, PUT, DELETE)
without a token, signed in as the organization's admin, and must answer 403 without
running the view. With the token, the same request goes through."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Not session-authenticated: the token view takes credentials (and is locked out by axes).
_NO_SESSION = {"/api/v1/auth/token/"}


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def _paths():
    paths = set()
    for route in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "^")) or "(?P" in route or "^" in route:
            # The operators' admin (Django's own, CSRF-protected) and regex routes (the API's
            # JSON 404 for unknown paths, which writes nothing).
            continue
        path = "/" + _PARAM.sub(
            lambda m: "acme" if m.group(2) in {"slug", "org_slug"} else "1", route
        )
        if path not in _NO_SESSION:
            paths.add(path)
    return sorted(paths)


PATHS = _paths()
PAGE_PATHS = [p for p in PATHS if not p.startswith("/api/")]
API_PATHS = [p for p in PATHS if p.startswith("/api/v1/")]


def test_every_route_is_covered():
    assert len(PAGE_PATHS) > 30 and len(API_PATHS) > 20
    assert "/o/acme/entries/upload/" in PAGE_PATHS
    assert "/api/v1/orgs/acme/actuals/bulk/" in API_PATHS


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_page_post_without_csrf_token_is_refused(path, org, admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(path, {"x": "1"})
    assert response.status_code == 403, path


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
@pytest.mark.parametrize("path", API_PATHS)
def test_api_unsafe_request_with_session_and_no_csrf_token_is_refused(path, method, org, admin):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin)
    response = getattr(client, method)(path, {}, format="json")
    # 403 for CSRF; 405 only where the route has no such method at all (checked by DRF
    # before authentication runs, so nothing is done either way).
    assert response.status_code in {403, 405}, (path, method, response.status_code)
    if response.status_code == 403:
        assert b"CSRF" in response.content


def test_at_least_one_api_method_per_unsafe_route_is_refused_for_csrf(org, admin):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin)
    refused = 0
    for path in API_PATHS:
        for method in ("post", "patch", "put", "delete"):
            response = getattr(client, method)(path, {}, format="json")
            refused += response.status_code == 403
    assert refused >= 20


def test_sign_in_form_needs_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": admin.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_api_write_with_session_and_csrf_token_goes_through(org, admin):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get("/accounts/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/orgs/acme/departments/",
        {"name": "X", "code": "x", "kind": "business", "function": "sales"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201


def test_token_authenticated_api_needs_no_csrf_token(org, admin):
    from accounts.services import token_create

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=admin)[1]}")
    response = client.post(
        "/api/v1/orgs/acme/departments/",
        {"name": "X", "code": "x", "kind": "business", "function": "sales"},
        format="json",
    )
    assert response.status_code == 201
