"""Every route of the URL configuration, walked as in test_isolation_routes (a route added
later is covered without editing this file), called by a member of the organization who is
also a superuser (so the admin's pages answer too) and by an anonymous visitor:

- every HTML answer carries the Content-Security-Policy, with a nonce of its own that every
  inline <script> of the page carries and that differs from one request to the next;
- every answer to a signed-in request, and every answer under /o/ and /api/ (exports and
  downloads included), says `Cache-Control: private, no-store`; /healthz and static files
  keep their own headers."""

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import get_resolver

from tests.test_isolation_routes import ORG_KWARGS, _fill, _walk, victim  # noqa: F401

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
ADMIN_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/")
# What the walk must reach, so that a broken walk cannot pass by calling nothing.
MIN_ROUTES = 150
MIN_HTML_PAGES = 60


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _admin_object_id(route: str, objects: dict, superuser) -> str:
    """An object of the admin route's model: the victim's where it has one, else any."""
    app_label, model_name = ADMIN_OBJECT.match(route).groups()
    model = apps.get_model(app_label, model_name)
    for value in [*objects.values(), superuser]:
        if isinstance(value, model):
            return str(value.pk)
    row = model._base_manager.order_by("pk").first()
    return str(row.pk) if row else "0"  # no row: the admin redirects to its index


def every_url(objects: dict, superuser) -> list[str]:
    """One URL per route of the whole site, every argument filled in."""
    urls = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        kwargs = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if ORG_KWARGS & set(kwargs):
            urls.append(_fill(route, kwargs, objects, objects["org"].slug))
            continue
        url = route
        if ADMIN_OBJECT.match(url):
            url = url.replace("<path:object_id>", _admin_object_id(url, objects, superuser))
        url = url.replace("<id>", str(superuser.pk))  # the admin's password change
        # Outside an organization: an invitation link, a reset link, one's own rows. Any
        # value will do (an unknown one answers a page too, which must carry the headers).
        url = re.sub(r"<(?:\w+:)?token>", "1.unknown", url)
        url = url.replace("<uidb64>", "MQ")
        # The public single sign-on pages: an organization's address and a provider.
        url = url.replace("<slug:address>", objects["org"].slug)
        url = url.replace("<str:provider>", "oidc")
        url = re.sub(r"<(?:\w+:)?pk>", str(objects["invitation"].pk), url)
        url = re.sub(r"<path:content_type_id>/<path:object_id>", "1/1", url)  # view on site
        # Regular expressions of the admin and the API's catch-all: one URL they match.
        url = re.sub(r"\(\?P<\w+>([\w]+)[^)]*\)", r"\1", url)  # first of the alternatives
        url = re.sub(r"\(\?P<\w+>\.\*\)|\.\*", "nowhere/", url)
        url = url.replace("^", "").replace("$", "")
        assert "<" not in url and "(" not in url, f"{route}: could not fill in {url}"
        urls.append("/" + url)
    return urls


def _check(url, response, *, signed_in: bool, problems: list, nonces: set) -> bool:
    """The headers of one answer; True when it was an HTML page."""
    cache = response.get("Cache-Control", "")
    if signed_in or url.startswith(("/o/", "/api/")):
        parts = {p.strip() for p in cache.split(",")}
        if not {"private", "no-store"} <= parts or "public" in parts:
            problems.append(f"{url} ({response.status_code}): Cache-Control {cache!r}")
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    header = response.get("Content-Security-Policy")
    if not header:
        problems.append(f"{url} ({response.status_code}): no Content-Security-Policy")
        return True
    policy = _directives(header)
    script_src = policy.get("script-src", [])
    found = NONCE.findall(" ".join(script_src))
    expected = {
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "default-src": ["'self'"],
    }
    wrong = [name for name, values in expected.items() if policy.get(name) != values]
    if (
        wrong
        or len(found) != 1
        or "'self'" not in script_src
        or {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"} & set(script_src)
        or "'unsafe-inline'" in policy.get("style-src-elem", [])
    ):
        problems.append(f"{url}: weak policy ({wrong or script_src}) {header}")
        return True
    nonce = found[0]
    nonces.add(nonce)
    # Every inline script of the page carries this request's nonce (the browser would refuse
    # it otherwise); files of our own origin need none.
    for attrs in SCRIPT_TAG.findall(response.content.decode(errors="replace")):
        if 'type="application/json"' in attrs or re.search(r"\bsrc=", attrs):
            continue
        if f'nonce="{nonce}"' not in attrs:
            problems.append(f"{url}: <script{attrs}> without the request's nonce")
    return True


def test_every_route_sends_the_policy_with_a_fresh_nonce_and_private_no_store(
    victim,  # noqa: F811 - the fixture of test_isolation_routes
    admin,
    settings,
):
    settings.DEBUG = False
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    member = Client()
    member.force_login(admin)
    anonymous = Client()
    urls = every_url(victim, admin)
    problems, nonces = [], set()
    html_pages = html_requests = 0
    for url in urls:
        for client, signed_in in ((member, True), (anonymous, False)):
            try:
                response = client.get(url)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{url}: raised {exc!r}"[:200])
                continue
            if _check(url, response, signed_in=signed_in, problems=problems, nonces=nonces):
                html_requests += 1
                if signed_in and response.status_code == 200:
                    html_pages += 1
                    # A second request: a nonce of its own.
                    before = len(nonces)
                    again = client.get(url)
                    _check(url, again, signed_in=True, problems=problems, nonces=nonces)
                    if len(nonces) != before + 1:
                        problems.append(f"{url}: the same nonce on two requests")
    print(f"{len(urls)} routes, {html_pages} HTML pages, {html_requests} HTML answers")
    assert problems == [], "\n".join(problems)
    assert len(urls) >= MIN_ROUTES and html_pages >= MIN_HTML_PAGES
    assert len(nonces) == html_requests + html_pages  # never one nonce twice


def test_healthz_and_static_files_keep_their_own_cache_headers(admin, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    client.force_login(admin)
    health = client.get("/healthz")
    # never_cache's own value, nothing added.
    assert health["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    static = client.get("/static/perfhub/dashboard.js")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
    assert "Content-Security-Policy" not in static


def test_exports_are_private_and_not_stored(client, executive, org, month):
    client.force_login(executive)
    response = client.get(f"/o/{org.slug}/dashboard/export.xlsx", {"period": month.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}
