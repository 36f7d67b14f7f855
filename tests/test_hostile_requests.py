"""Requests no form would send, on every route (generated from the URL configuration), never
answered with a 5xx:

- a browser's `Accept: text/html` on every API route, as every role (the API is JSON only);
- JSON bodies nested 1,000 and 100,000 deep on every API route and method that takes a
  body, and on the unauthenticated `auth/token/`: 400 with a message;
- control characters, a lone surrogate, very long strings and huge numbers in every query
  parameter of the API (from the OpenAPI schema) and of the pages."""

import re
from urllib.parse import quote

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.routes import every_route, role_clients
from tests.test_isolation_routes import victim as victim  # noqa: PLC0414 - the fixture

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BODY_METHODS = ("post", "put", "patch")
# Query parameters the pages read (request.GET) besides those the API documents.
PAGE_PARAMETERS = ("period", "kind", "department", "part", "format")
CONTROL = [chr(c) for c in (*range(0x20), 0x7F)]
LONE_SURROGATE = "%ED%A0%80"  # sent as it is: UTF-8 of U+D800, which UTF-8 forbids
# One control character stands for all (the next test sends each to one route).
HOSTILE = ["\x00", LONE_SURROGATE, "x" * 10_000, "-" + "9" * 40]


@pytest.fixture
def objects(request):
    return request.getfixturevalue("victim")


def _query(name: str, value: str) -> str:
    return f"?{name}={value if value == LONE_SURROGATE else quote(value)}"


def _answer(send, url, **extra):
    """The answer of one request, whatever it would have written rolled back."""
    with transaction.atomic():
        response = send(url, **extra)
        transaction.set_rollback(True)
    return response


def api_routes(objects):
    return [url for url, is_api in every_route(objects) if is_api]


def test_api_answers_a_browser_without_a_server_error_for_every_route_and_role(objects, role_users):
    problems, count = [], 0
    for role, _pages, api in role_clients(role_users):
        for url in api_routes(objects):
            for accept in ("text/html", BROWSER_ACCEPT):
                response = api.get(url, HTTP_ACCEPT=accept)
                count += 1
                if response.status_code >= 500:
                    problems.append(f"{role} GET {url} ({accept}): {response.status_code}")
                elif not url.endswith("/docs/"):  # Swagger UI, a page of its own
                    assert "html" not in response["Content-Type"], url
    assert problems == []
    assert count >= 4 * 2 * 25


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_refused_with_400_on_every_route(objects, admin, depth):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(admin)
    body = _nested(depth)
    problems, refused = [], 0
    for url in [*api_routes(objects), "/api/v1/auth/token/"]:
        for method in BODY_METHODS:
            response = _answer(
                getattr(api, method), url, data=body, content_type="application/json"
            )
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {url}: {response.status_code}")
            elif response.status_code == 400 and "nested" in response.json().get("detail", ""):
                refused += 1
    assert problems == []
    assert refused >= 15  # every create and update route refuses it with the message


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_token_endpoint_refuses_nested_json_without_signing_in(db, depth):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/", data=_nested(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        "/api/v1/auth/token/", data=_nested(depth), content_type="application/json"
    )
    assert "嵌套超过 32 层" in chinese.json()["detail"]


def test_json_nested_within_the_limit_is_parsed(admin, org):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(admin)
    response = api.post("/api/v1/auth/token/", data=_nested(32), content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in str(response.json())  # refused as credentials, not as too deep


def _documented_parameters(api) -> dict[str, set[str]]:
    """{path with its arguments as "{}": the query parameters of its GET} (OpenAPI)."""
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return {
        _shape(path): {
            parameter["name"]
            for parameter in operations.get("get", {}).get("parameters", [])
            if parameter["in"] == "query"
        }
        for path, operations in schema["paths"].items()
    }


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}|<(?:\w+:)?\w+>", "{}", "/" + path.lstrip("/"))


def test_hostile_query_parameters_never_cause_a_server_error(objects, admin):
    pages, api = APIClient(HTTP_ACCEPT_LANGUAGE="en"), APIClient(HTTP_ACCEPT_LANGUAGE="en")
    pages.force_login(admin)
    api.force_authenticate(admin)
    documented = _documented_parameters(api)
    assert {"status", "department", "period"} <= documented[_shape("/api/v1/orgs/{}/reviews/")]
    problems, count = [], 0
    for url, is_api, route in every_route(objects, with_routes=True):
        client = api if is_api else pages
        names = documented.get(_shape(route), set()) if is_api else PAGE_PARAMETERS
        for name in sorted(names):
            for value in HOSTILE:
                response = client.get(url + _query(name, value))
                count += 1
                if response.status_code >= 500:
                    problems.append(f"GET {url}?{name}={value[:12]!r}: {response.status_code}")
    assert problems == []
    assert count >= 1_000


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_a_control_character_in_a_query_parameter_is_refused_with_400_naming_it(
    org, admin, outsider, char
):
    pages, api = APIClient(HTTP_ACCEPT_LANGUAGE="en"), APIClient(HTTP_ACCEPT_LANGUAGE="en")
    pages.force_login(admin)
    api.force_authenticate(admin)
    response = api.get(f"/api/v1/orgs/{org.slug}/reviews/" + _query("status", char))
    assert response.status_code == 400
    assert f"U+{ord(char):04X}" in response.json()["status"][0]
    api.force_authenticate(outsider)  # the organization gate comes first
    assert api.get(f"/api/v1/orgs/{org.slug}/reviews/" + _query("status", char)).status_code == 404
    response = pages.get(f"/o/{org.slug}/dashboard/" + _query("period", "1" + char))
    assert response.status_code == 400
    assert "“period” contains a control character" in response.content.decode()
