"""Every organization route, generated from the URL configuration, called by an admin of
ANOTHER organization: 404 and nothing changed.

Routes are found by walking the resolver, so a route added later is tested without editing
this file; one whose URL arguments this file cannot fill in makes the test fail (add its
argument or path segment to the tables below), it is never skipped."""

import hashlib
import re

import pytest
from django.db import connection
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.sso.services import signon_config_save
from briefings.models import Briefing
from departments.invitations import invitation_create
from departments.models import Membership
from discussions.services import post_add
from discussions.subjects import subject_of
from feeds.models import AllowedHost, DataFeed, FeedRun
from grades.models import Calibration, GradeAppeal
from messaging.models import Channel
from metrics.models import Actual, Upload
from orgchart.models import OrgChartUpload
from perfhub.rls import tenant_tables
from reviews.models import Feedback, FeedbackCriterion, Review
from scorecards.models import Action, Goal, RecalculationRun, ScorecardComment
from tests.factories import enter_actuals, make_department

pytestmark = pytest.mark.django_db

ORG_KWARGS = {"slug", "org_slug"}
# `pk` is an id of the object named by the path segment before it.
PK_BY_SEGMENT = {
    "members": "membership",
    "invitations": "invitation",
    "departments": "department",
    "indicators": "indicator",
    "templates": "template",
    "kpis": "kpi",
    "periods": "period",
    "actuals": "actual",
    "goals": "goal",
    "recalculations": "run",
    "uploads": "upload",
    "scorecards": "department",  # a department's scorecard
    "reviews": "department",  # the page: a department's review
    "influence": "department",
    "comments": "comment",  # a comment on a scorecard
    "grades": "calibration",  # a period's calibrated grades
    "briefings": "briefing",  # a briefing book
    "posts": "post",  # a post in a discussion thread
    "actions": "action",  # an action on a red KPI
    "import": "org_chart_upload",  # org-chart/import/<pk>/
    "channels": "channel",  # a message channel
    "feeds": "feed",  # a data feed
    "addresses": "allowed_host",  # feeds/addresses/<pk>/delete/
}
# Where the API names something else than the page of the same segment.
API_PK_BY_SEGMENT = {
    "reviews": "review",
    "feedback": "feedback",
    "feedback-criteria": "feedback_criterion",
    "calibrations": "calibration",
    "scorecard-comments": "comment",
    "imports": "org_chart_upload",  # org-chart/imports/<pk>/
    "feed-runs": "feed_run",
    "allowed-hosts": "allowed_host",
}
OTHER_KWARGS = {
    "period_id": "period",
    "department_id": "department",
    "kpi_id": "kpi",
    "appeal_pk": "appeal",  # calibrations/<pk>/appeals/<appeal_pk>/resolve/
}
# Arguments that are no id: a value every organization may have.
LITERAL_KWARGS = {"provider": "oidc"}  # settings/sign-on/<provider>/
UNSAFE = ("post", "put", "patch", "delete")  # with GET: every method
MIN_ROUTES = 55


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def org_routes():
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        kwargs = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if ORG_KWARGS & set(kwargs):
            routes.append((route, pattern, kwargs))
    return routes


def _fill(route: str, kwargs: list[str], objects: dict, slug: str) -> str:
    """The route's path with the victim organization's slug and its objects' ids."""
    url = route
    for name in kwargs:
        if name in ORG_KWARGS:
            value = slug
        elif name == "pk":
            segment = re.search(r"([\w.-]+)/<(?:\w+:)?pk>", route)
            table = (
                {**PK_BY_SEGMENT, **API_PK_BY_SEGMENT}
                if route.startswith("api/")
                else PK_BY_SEGMENT
            )
            kind = table.get(segment.group(1)) if segment else None
            if kind is None:
                raise AssertionError(
                    f"{route}: cannot tell what `pk` names; add it to PK_BY_SEGMENT"
                )
            value = objects[kind].pk
        elif name in LITERAL_KWARGS:
            value = LITERAL_KWARGS[name]
        elif name in OTHER_KWARGS:
            value = objects[OTHER_KWARGS[name]].pk
        else:
            raise AssertionError(f"{route}: unknown URL argument {name!r}; add it to OTHER_KWARGS")
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url, count=1)
    assert "<" not in url and "^" not in url, f"{route}: could not fill in {url}"
    return "/" + url


def _snapshot(org) -> str:
    """A digest of every tenant row of the organization and of the organization itself."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table in tenant_tables(cursor):
            cursor.execute(
                f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {table} t "  # noqa: S608
                "WHERE organization_id = %s",
                [org.pk],
            )
            digest.update(f"{table}:{cursor.fetchone()[0]}".encode())
        cursor.execute("SELECT t::text FROM departments_organization t WHERE id = %s", [org.pk])
        digest.update(cursor.fetchone()[0].encode())
    return digest.hexdigest()


@pytest.fixture
def victim(org, admin, hr, manager, sales, library, periods, month, sales_kpis):
    """Acme with one of everything a route can name."""
    kpi = next(iter(sales_kpis.values()))
    enter_actuals(org, (kpi, month, "10"), by=hr)
    from metrics import selectors

    signon_config_save(
        org=org,
        provider="oidc",
        by=None,
        client_id="c",
        client_secret="s",
        server_url="https://sso.example.com",
    )
    calibration = Calibration.objects.create(
        organization=org, period=month, opened_at=timezone.now(), state="published"
    )
    feed = DataFeed.objects.create(
        organization=org,
        name="ERP",
        kind="postgres",
        url="postgresql://reader@127.0.0.1:5432/erp",
        query="SELECT 1",
        department_column="d",
        kpi_column="k",
        period_column="p",
        value_column="v",
    )
    return {
        "org": org,
        "membership": org_membership(org, hr),
        "department": sales,
        "indicator": kpi.indicator,
        "template": selectors.template_list(org=org).first(),
        "kpi": kpi,
        "period": month,
        "actual": Actual.objects.for_org(org).get(kpi=kpi, period=month),
        "goal": Goal.objects.create(organization=org, title="Grow", period=month),
        "run": RecalculationRun.objects.create(organization=org),
        "upload": Upload.objects.create(
            organization=org, file_name="a.xlsx", content=b"x", uploaded_by=hr
        ),
        "invitation": invitation_create(org=org, by=hr, email="new@example.com", role="hr"),
        "review": Review.objects.create(organization=org, department=sales, period=month),
        "calibration": calibration,
        "appeal": GradeAppeal.objects.create(
            organization=org,
            calibration=calibration,
            department=sales,
            grade="B",
            reason="Target moved",
            raised_at=timezone.now(),
        ),
        "comment": ScorecardComment.objects.create(
            organization=org, department=sales, period=month, text="Noted", at=timezone.now()
        ),
        "action": Action.objects.create(
            organization=org,
            department=sales,
            period=month,
            kpi=kpi,
            title="Call the customers",
            owner=hr,
            due_date=month.end,
        ),
        "briefing": Briefing.objects.create(
            organization=org, period=month, language="en", state="done", pdf=b"%PDF-1.7 x"
        ),
        "post": _post(org, kpi, month),
        "org_chart_upload": OrgChartUpload.objects.create(
            organization=org,
            file_name="people.csv",
            parsed={"departments": [], "people": [], "errors": [], "columns": {}},
        ),
        "feed": feed,
        "feed_run": FeedRun.objects.create(organization=org, feed=feed, trigger="manual"),
        "allowed_host": AllowedHost.objects.create(organization=org, address="127.0.0.1"),
        "channel": Channel.objects.create(
            organization=org, kind="email", name="Team", email="team@example.com"
        ),
        "feedback": Feedback.objects.create(
            organization=org,
            period=month,
            rater_department=sales,
            rated_department=make_department(org, code="hr", kind="management", function="hr"),
        ),
        "feedback_criterion": FeedbackCriterion.objects.create(
            organization=org, name="Speed", name_en="Speed", position=9
        ),
    }


def _post(org, kpi, month):
    subject = subject_of("kpi", org, kpi, month)
    hr = Membership.objects.for_org(org).select_related("organization").get(role="hr")
    return post_add(org=org, membership=hr, subject=subject, text="About @mona-manager")


def org_membership(org, user):
    return Membership.objects.for_org(org).get(user=user)


def test_every_org_route_answers_404_to_a_member_of_another_organization(victim, outsider):
    org = victim["org"]
    routes = org_routes()
    pages = APIClient()  # session sign-in for pages (the test client does not check CSRF)
    pages.force_login(outsider)
    api = APIClient()
    api.force_authenticate(outsider)
    covered, problems = 0, []
    for route, _pattern, kwargs in routes:
        url = _fill(route, kwargs, victim, org.slug)
        nowhere = _fill(route, kwargs, victim, "no-such-org")
        is_api = route.startswith("api/")
        client = api if is_api else pages
        # Every method, not only those the route accepts: an outsider learns nothing either way.
        methods = ["get", *UNSAFE]
        before = _snapshot(org)
        got_404 = False
        for method in methods:
            send = getattr(client, method)
            response = send(url, {}, format="json") if is_api else send(url, {})
            if response.status_code == 404:
                got_404 = True
                continue
            # A method refused before the organization is looked at (require_POST) reveals
            # nothing: the same answer as for an organization that does not exist.
            control = send(nowhere, {}, format="json") if is_api else send(nowhere, {})
            if not (response.status_code == control.status_code == 405):
                problems.append(f"{method.upper()} {url}: {response.status_code}")
        if not got_404:
            problems.append(f"{url}: no method answered 404")
        if _snapshot(org) != before:
            problems.append(f"{url}: the organization's data changed")
        covered += 1
    print(f"{covered} organization routes called by an outsider")
    assert problems == []
    assert covered == len(routes) >= MIN_ROUTES


def test_a_route_it_cannot_fill_in_fails_rather_than_being_skipped():
    with pytest.raises(AssertionError, match="unknown URL argument"):
        _fill("o/<slug:slug>/widgets/<int:widget_id>/", ["slug", "widget_id"], {}, "acme")
    with pytest.raises(AssertionError, match="PK_BY_SEGMENT"):
        _fill("o/<slug:slug>/widgets/<int:pk>/", ["slug", "pk"], {}, "acme")
