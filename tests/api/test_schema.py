"""The OpenAPI schema is valid OpenAPI 3, describes every endpoint of SPEC §6 with its
fields, filters and errors, and the docs page works without the internet."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ORG = "/api/v1/orgs/{org_slug}/"
# SPEC §6, less reviews/ and feedback/ (being built elsewhere).
SPEC_ENDPOINTS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/orgs/", "get"),
    ("/api/v1/orgs/", "post"),
    (ORG, "get"),
    (ORG + "members/", "get"),
    # Members join by invitation (audit finding #2): no POST members/ any more.
    (ORG + "invitations/", "get"),
    (ORG + "invitations/", "post"),
    (ORG + "invitations/{id}/", "delete"),
    ("/api/v1/invitations/{token}/accept/", "post"),
    (ORG + "departments/", "get"),
    (ORG + "departments/", "post"),
    (ORG + "departments/{id}/", "patch"),
    (ORG + "indicators/", "get"),
    (ORG + "indicators/", "post"),
    (ORG + "templates/", "get"),
    (ORG + "templates/", "post"),
    (ORG + "templates/{id}/apply/", "post"),
    (ORG + "kpis/", "get"),
    (ORG + "kpis/", "post"),
    (ORG + "kpis/{id}/", "patch"),
    (ORG + "periods/", "get"),
    (ORG + "periods/generate/", "post"),
    (ORG + "periods/{id}/lock/", "post"),
    (ORG + "periods/{id}/reopen/", "post"),
    (ORG + "actuals/", "get"),
    (ORG + "actuals/", "post"),
    (ORG + "actuals/{id}/", "patch"),
    (ORG + "actuals/bulk/", "post"),
    # issue 19 §3: values that need sign-off
    (ORG + "actuals/pending/", "get"),
    (ORG + "actuals/confirm/", "post"),
    (ORG + "actuals/reject/", "post"),
    (ORG + "scorecards/", "get"),
    (ORG + "dashboard/", "get"),
    (ORG + "goals/", "get"),
    (ORG + "goals/", "post"),
    # SPEC §9 through the API
    (ORG + "grade-scales/", "get"),
    (ORG + "grade-scales/", "put"),
    (ORG + "calibrations/", "get"),
    (ORG + "calibrations/", "post"),
    (ORG + "calibrations/{id}/", "get"),
    (ORG + "calibrations/{id}/move/", "post"),
    (ORG + "calibrations/{id}/publish/", "post"),
    (ORG + "calibrations/{id}/reopen/", "post"),
    (ORG + "grades/", "get"),
    # issue 17: appeals of published grades, comments on scorecards
    (ORG + "calibrations/{id}/appeals/", "get"),
    (ORG + "calibrations/{id}/appeals/", "post"),
    (ORG + "calibrations/{id}/appeals/{appeal_pk}/resolve/", "post"),
    (ORG + "scorecard-comments/", "get"),
    (ORG + "scorecard-comments/", "post"),
    (ORG + "scorecard-comments/{id}/", "delete"),
    # issue 19: discussion threads
    (ORG + "threads/", "get"),
    (ORG + "posts/", "get"),
    (ORG + "posts/", "post"),
    (ORG + "posts/{id}/", "get"),
    (ORG + "posts/{id}/", "patch"),
    (ORG + "posts/{id}/", "delete"),
    (ORG + "posts/{id}/history/", "get"),
    (ORG + "mention-candidates/", "get"),
    # issue 19: actions on red KPIs and goals behind plan
    (ORG + "actions/", "get"),
    (ORG + "actions/", "post"),
    (ORG + "actions/{id}/", "get"),
    (ORG + "actions/{id}/", "patch"),
    # issue 19 §4: feedback on several criteria, both ways
    (ORG + "feedback/", "get"),
    (ORG + "feedback/", "post"),
    (ORG + "feedback/{id}/", "get"),
    (ORG + "feedback/{id}/", "put"),
    (ORG + "feedback/{id}/", "delete"),
    (ORG + "feedback-criteria/", "get"),
    (ORG + "feedback-criteria/", "post"),
    (ORG + "feedback-criteria/{id}/", "get"),
    (ORG + "feedback-criteria/{id}/", "put"),
    (ORG + "feedback-criteria/{id}/", "patch"),
    (ORG + "feedback-criteria/{id}/", "delete"),
    # issue 18: the org chart in one upload
    (ORG + "org-chart/imports/", "post"),
    (ORG + "org-chart/imports/{id}/", "get"),
    (ORG + "org-chart/imports/{id}/confirm/", "post"),
    (ORG + "org-chart/imports/{id}/deactivate-missing/", "post"),
    (ORG + "sign-on/", "get"),
    (ORG + "sign-on/{provider}/", "get"),
    (ORG + "sign-on/{provider}/", "put"),
    (ORG + "sign-on/{provider}/", "delete"),
    (ORG + "sign-on-policy/", "get"),
    (ORG + "sign-on-policy/", "put"),
    # issue 18: message channels (secrets write-only), routes, deliveries, test message
    (ORG + "channels/", "get"),
    (ORG + "channels/", "post"),
    (ORG + "channels/{id}/", "get"),
    (ORG + "channels/{id}/", "put"),
    (ORG + "channels/{id}/", "delete"),
    (ORG + "channels/{id}/test/", "post"),
    (ORG + "channel-routes/", "get"),
    (ORG + "channel-routes/", "put"),
    (ORG + "channel-deliveries/", "get"),
}
FILTERS = {
    ORG + "departments/": {"kind", "function", "parent", "is_active"},
    ORG + "indicators/": {"kind", "unit", "direction", "aggregation", "is_active"},
    ORG + "kpis/": {"department", "indicator", "is_active"},
    ORG + "periods/": {"kind", "status", "fiscal_year"},
    ORG + "actuals/": {"period", "department", "kpi"},
    ORG + "scorecards/": {"period", "department"},
    ORG + "dashboard/": {"period"},
    ORG + "bsc/": {"period", "department"},
    ORG + "grades/": {"period", "department"},
    ORG + "scorecard-comments/": {"period", "department"},
    ORG + "threads/": {"kind"},
    ORG + "posts/": {"subject"},
    ORG + "mention-candidates/": {"q"},
    ORG + "actions/": {"status", "owner", "department", "period", "kpi", "goal", "overdue"},
    ORG + "feedback/": {"period", "rater_department", "rated_department", "direction"},
    ORG + "channel-deliveries/": {"channel"},
}
# Field names of SPEC §2 and §6 in the answers.
FIELDS = {
    "SignOnConfigOut": {"provider", "enabled", "client_id", "server_url", "has_secret"},
    "DepartmentOut": {"name", "code", "kind", "function", "parent", "managers", "is_active"},
    "UploadOut": {"id", "file_name", "status", "digest", "preview", "errors", "result"},
    "PreviewOut": {
        "departments_new",
        "departments_changed",
        "people_new",
        "people_changed",
        "missing",
        "unchanged",
    },
    "RowErrorOut": {"sheet", "row", "column", "message"},
    "IndicatorOut": {"code", "unit", "direction", "aggregation", "formula", "perspective"},
    "KpiOut": {
        "weight",
        "target",
        "threshold",
        "target_max",
        "cap",
        "target_period",
        "confirm_role",
        "confirm_department",
    },
    "PeriodOut": {"kind", "start", "end", "status"},
    "ActualOut": {
        "kpi",
        "period",
        "value",
        "note",
        "version",
        "status",
        "confirmed_value",
        "counted_value",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
    },
    "PendingActualOut": {"kpi", "period", "value", "version", "status", "indicator_name"},
    "ScorecardOut": {"score", "coverage", "status", "lines"},
    "BandOut": {"label", "lowest_score", "coefficient", "share_kind", "share_percent"},
    "GradingOut": {
        "bands",
        "grade_months",
        "grade_quarters",
        "grade_years",
        "grouping",
        "publish_rule",
    },
    "BoardRowOut": {
        "department",
        "department_code",
        "department_name",
        "kind",
        "group",
        "score",
        "computed_grade",
        "final_grade",
        "coefficient",
        "reason",
        "moved",
        "appeal",
    },
    "GroupCheckOut": {"group", "n", "counts", "limits", "met"},
    "LimitOut": {"label", "kind", "percent", "bound", "count", "met"},
    "FeedbackOut": {
        "period",
        "direction",
        "rater_department",
        "rated_department",
        "rated_by",
        "rater_hidden",
        "ratings",
        "average",
        "comment",
    },
    "FeedbackRatingOut": {"criterion", "criterion_name", "rating", "comment"},
    "FeedbackCriterionOut": {"name", "name_en", "applies_to", "position", "is_active"},
    "EventOut": {"action", "department", "from_grade", "to_grade", "reason", "by", "at"},
    "GradeOut": {
        "calibration",
        "department",
        "department_code",
        "department_name",
        "period",
        "period_label",
        "score",
        "computed_grade",
        "final_grade",
        "coefficient",
        "reason",
    },
    "AppealOut": {
        "id",
        "calibration",
        "department",
        "department_code",
        "department_name",
        "grade",
        "reason",
        "raised_by",
        "raised_by_name",
        "raised_at",
        "state",
        "new_grade",
        "resolution",
        "resolved_by",
        "resolved_by_name",
        "resolved_at",
    },
    "CommentOut": {"id", "department", "period", "kpi", "text", "by", "by_name", "at"},
    "PostOut": {
        "id",
        "thread",
        "subject",
        "parent",
        "author",
        "author_name",
        "author_hidden",
        "text",
        "deleted",
        "created_at",
        "edited_at",
        "mentions",
    },
    "ThreadOut": {"id", "subject", "kind", "post_count", "last_post_at"},
    "MentionCandidateOut": {"username", "name"},
    "ActionOut": {
        "id",
        "title",
        "department",
        "period",
        "kpi",
        "goal",
        "owner",
        "owner_name",
        "due_date",
        "status",
        "overdue",
        "closed_at",
    },
    "ChannelOut": {"id", "kind", "name", "webhook", "has_secret", "email", "department"},
    "ChannelInRequest": {"kind", "name", "webhook_url", "secret", "email", "department"},
    "DeliveryOut": {"channel", "kind", "event_key", "status", "attempts", "last_error", "sent_at"},
    "RoutesInRequest": {"routes"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_has_every_spec_endpoint(schema):
    documented = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert SPEC_ENDPOINTS - documented == set()


def _api_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, pattern)
        elif (
            isinstance(entry, URLPattern)
            and pattern.startswith("api/v1/")
            and "^" not in pattern  # the JSON 404 for any other path
        ):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", pattern).replace("{pk}", "{id}")


def test_schema_describes_every_api_route(schema):
    routes = set(_api_routes()) - {"/api/v1/schema/", "/api/v1/docs/"}
    assert routes - set(schema["paths"]) == set()


def test_every_filter_is_described(schema):
    for path, names in FILTERS.items():
        params = {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
        assert names <= params, (path, names - params)


def test_every_spec_field_is_described(schema):
    components = schema["components"]["schemas"]
    for name, fields in FIELDS.items():
        assert fields <= set(components[name]["properties"]), (name, fields)


def test_every_error_answer_is_described(schema):
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            if path.startswith(ORG):
                assert {"401", "403", "404"} <= codes, (method, path, codes)
            if method != "get":
                assert "400" in codes, (method, path, codes)
            for code in codes - {"204"}:
                assert op["responses"][code].get("content"), (method, path, code)
    actuals = schema["paths"][ORG + "actuals/"]["post"]["responses"]
    assert "409" in actuals


@pytest.mark.parametrize(
    "path", ["/api/v1/orgs/acme/kpis/-1/", "/api/v1/orgs/acme/kpis/abc/", "/api/v1/nothing/"]
)
def test_unknown_api_path_answers_json_404(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_write_to_unknown_api_path_answers_json_404(admin):
    """Found by the fuzzing: a PATCH to `departments/-5/` got Django's HTML CSRF page."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.patch("/api/v1/orgs/acme/departments/-5/", "{}", "application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_docs_page_uses_only_local_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "the docs page loads nothing?"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"docs page loads {url} from outside"
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a local file"
    # The schema URL the page loads is ours.
    assert "/api/v1/schema/" in html
