"""Every route of the site, generated from the URL configuration (as the isolation test
does), filled in with the objects of the isolation test's `victim` fixture, and a client
per role: for tests that call every page and API route as every role."""

from rest_framework.test import APIClient

from tests.test_isolation_routes import _fill, _walk, org_routes

ROLES = ("admin", "hr", "manager", "executive")


def every_route(objects, *, with_routes=False) -> list[tuple]:
    """(url, is_api) of every route: the organization's, filled in with its objects, and
    those without arguments (sign-in, profile, the organization list, ...); with_routes:
    (url, is_api, route pattern)."""
    from django.urls import get_resolver

    urls = [
        (_fill(route, kwargs, objects, objects["org"].slug), route.startswith("api/"), route)
        for route, _pattern, kwargs in org_routes()
    ]
    for route, _pattern in _walk(get_resolver().url_patterns):
        if "<" not in route and "^" not in route and "(?" not in route:
            urls.append(("/" + route, route.startswith("api/"), route))
    return urls if with_routes else [(url, is_api) for url, is_api, _route in urls]


def role_clients(role_users, roles=ROLES):
    """(role, page client signed in with a session, API client authenticated)."""
    for role in roles:
        user = role_users[role]
        pages, api = APIClient(), APIClient()
        pages.force_login(user)
        api.force_authenticate(user)
        yield role, pages, api
