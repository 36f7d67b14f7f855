"""Every organization page, posted with every field it shows set to each hostile value (and
read with hostile query parameters): never a 500, and markup sent in is never echoed
unescaped. The pages' own tests check the messages; this one checks the floor."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from departments.models import Membership
from metrics import selectors

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
VALUES = ["NaN", "1e309", "1,5", "", "²", "x" * 3000, "a\x00b", "9" * 30, SCRIPT]
QUERY_VALUES = ["NaN", "²", "9" * 30, SCRIPT]
_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield route

    return sorted(r for r in walk(get_resolver().url_patterns) if r.startswith("o/"))


ROUTES = _routes()


@pytest.fixture
def ids(org, admin, hr, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    return {
        "members": Membership.objects.for_org(org).get(user=hr).pk,
        "departments": kpi.department_id,
        "scorecards": kpi.department_id,
        "indicators": kpi.indicator_id,
        "templates": selectors.template_list(org=org).first().pk,
        "periods": month.pk,
        "entries": month.pk,
        "kpis": kpi.pk,
    }


def _path(route, ids):
    def fill(match):
        if match.group(1) == "slug":
            return "acme"
        before = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(ids.get(before, 1))

    return "/" + _PARAM.sub(fill, route)


def _check(response, what):
    assert response.status_code < 500, what
    if response.get("Content-Type", "").startswith("text/html"):
        assert SCRIPT not in response.content.decode(), what


@pytest.mark.parametrize("route", ROUTES)
def test_page_survives_hostile_fields_and_parameters(client, admin, ids, route):
    client.force_login(admin)
    path = _path(route, ids)
    page = client.get(path)
    _check(page, path)
    html = page.status_code == 200 and page["Content-Type"].startswith("text/html")
    names = set(_NAME.findall(page.content.decode())) if html else set()
    names |= {"action", "role", "reason", "fiscal_year", "period", "department", "file"}
    names.discard("csrfmiddlewaretoken")
    for value in QUERY_VALUES:
        query = {"period": value, "department": value, "kind": value, "parent": value}
        _check(client.get(path, query), (path, "GET", value))
    for value in VALUES:
        data = {name: value for name in names if name != "file"}
        _check(client.post(path, data), (path, "POST", value[:20]))
