"""Schemathesis fuzzes every operation of the API's own OpenAPI schema, through the WSGI app,
as each role of one organization (token auth), and replays every case as an admin of
ANOTHER organization.

For every case:
- no 500; the status code is documented, and the body matches the documented schema;
- a 400 carries a message per field (`{field: [message, ...]}`, nested for lists);
- a request whose body was made invalid (negative mode) is refused with a 4xx;
- the outsider's replay answers 404 and changes nothing in the organization (a digest of
  every tenant table's rows of the organization, before and after).

Each case runs in a savepoint that is rolled back, so every case starts from the same data.
Hypothesis is derandomized: the same cases run every time. PERFHUB_FUZZ_EXAMPLES sets how
many cases per operation, role and mode (default 6)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import zlib
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import InvalidArgument, Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services import token_create
from departments.models import Membership
from discussions.services import post_add
from discussions.subjects import subject_of
from grades.services import appeal_raise, calibration_open, calibration_publish
from messaging.services import ChannelInput, channel_save
from metrics.services.actuals import ActualInput, actuals_save
from scorecards.rollup import recalculate
from scorecards.services import action_create, comment_add

from . import FUZZ_STATS

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("PERFHUB_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Fields and filters that name another object, and the resource its ids come from.
REFERENCES = {
    "kpi": "kpis",
    "period": "periods",
    "department": "departments",
    "departments": "departments",
    "parent": "departments",
    "indicator": "indicators",
    "managers": "users",
    "owner": "users",
    "goal": "goals",
    "rater_department": "departments",
    "rated_department": "departments",
    "criterion": "feedback-criteria",
}
# Endpoints outside any organization: no cross-organization replay.
GLOBAL_PATHS = {"/api/v1/auth/token/", "/api/v1/orgs/"}


def detach_connection_closing() -> None:
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction. Django's test client detaches the same handlers around each of
    its requests (and attaches them again after, hence a call after any test client use)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


@pytest.fixture
def keep_connection():
    detach_connection_closing()
    # Every refused request would log a warning ("Not Found: …"); 500s are still logged.
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_org(org, role_users, sales, sales_kpis, month, other_org):
    """The organization with its library, periods, Sales' KPIs, actuals and computed
    scorecards, an open and a published calibration with an appeal, and a comment, so that
    reads find something."""
    from metrics.models import Period

    def member(role):
        return Membership.objects.for_org(org).get(user=role_users[role])

    kpis = sales_kpis
    # A message channel (an e-mail address: a fuzzed test message goes nowhere real).
    channel_save(
        org=org,
        by=None,
        data=ChannelInput(kind="email", name="Team", email="team@example.com"),
    )
    actuals_save(
        org=org,
        by=role_users["hr"],
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(kpis["sales_revenue"].pk, month.pk, "1500000", note="n"),
            ActualInput(kpis["customer_satisfaction"].pk, month.pk, "91", note="n"),
        ],
    )
    recalculate(org=org, period_ids=list(Period.objects.for_org(org).values_list("pk", flat=True)))
    calibration_open(  # the first quarter's, so calibrations/{id}/ reaches a real board
        org=org,
        membership=member("hr"),
        period=Period.objects.for_org(org).filter(kind="quarter").order_by("start").first(),
    )
    # The year's, published and appealed, so that appeals/ and resolve/ reach a real appeal.
    year = calibration_open(
        org=org, membership=member("hr"), period=Period.objects.for_org(org).get(kind="year")
    )
    calibration_publish(org=org, membership=member("hr"), calibration=year)
    appeal_raise(
        org=org, membership=member("manager"), calibration=year, department=sales, reason="Why"
    )
    comment_add(
        org=org,
        membership=member("executive"),
        department=sales,
        period=month,
        kpi=kpis["sales_revenue"],
        text="Why so low?",
    )
    post_add(  # a thread, so that posts/{id}/ reaches a real post
        org=org,
        membership=member("manager"),
        subject=subject_of("kpi", org, kpis["sales_revenue"], month),
        text="Looking into it, @harry-hr",
    )
    action_create(  # on the amber revenue line, so that actions/{id}/ reaches a real one
        org=org,
        membership=member("hr"),
        title="Call the ten largest customers",
        owner=role_users["manager"],
        due_date=month.end + dt.timedelta(days=365 * 5),
        kpi=kpis["sales_revenue"],
        period=month,
    )
    return org


def tenant_tables() -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'organization_id' ORDER BY table_name"
        )
        return [row[0] for row in cur.fetchall()]


def snapshot_sql(tables: list[str]) -> str:
    parts = [
        f"SELECT '{t}:' || md5(t::text) AS r FROM \"{t}\" t WHERE organization_id = %(org)s"
        for t in tables
    ]
    parts.append("SELECT 'org:' || md5(o::text) FROM departments_organization o WHERE id = %(org)s")
    return (
        f"SELECT count(*), md5(string_agg(r, '|' ORDER BY r)) FROM ({' UNION ALL '.join(parts)}) s"  # noqa: S608 - table names from information_schema
    )


def messages_per_field(body) -> bool:
    """{field: [message, ...]} (or nested objects/lists of them); `detail` for the whole."""

    def leaves_ok(value) -> bool:
        if isinstance(value, str):
            return bool(value.strip())
        if isinstance(value, list):
            return all(leaves_ok(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and leaves_ok(v) for k, v in value.items())
        return False

    return isinstance(body, dict) and bool(body) and leaves_ok(body)


class Fuzzer:
    def __init__(self, org, tokens, outsider_token):
        self.org = org
        self.tokens = tokens
        self.outsider = outsider_token
        self.app = get_wsgi_application()
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", self.app)
        self.snapshot_query = snapshot_sql(tenant_tables())
        self.failures: dict[tuple, str] = {}
        self.cases = Counter()
        self.statuses = Counter()
        self.ids = self._real_ids()
        detach_connection_closing()

    def _real_ids(self) -> dict[str, list[int]]:
        """A few ids of each resource of the organization, so that detail operations reach
        real objects most of the time (and random ids the rest)."""
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens['admin']}")
        ids = {}
        for resource in (
            "members",
            "departments",
            "indicators",
            "templates",
            "kpis",
            "periods",
            "actuals",
            "goals",
            "calibrations",
            "scorecard-comments",
            "actions",
            "feedback",
            "feedback-criteria",
            "channels",
        ):
            r = client.get(f"/api/v1/orgs/{self.org.slug}/{resource}/?limit=5")
            ids[resource] = [row["id"] for row in r.json()["results"]]
            if resource == "members":
                ids["users"] = [row["user_id"] for row in r.json()["results"]]
        # Posts live in their subject's thread: those of a few threads.
        ids["posts"] = []
        for row in client.get(f"/api/v1/orgs/{self.org.slug}/threads/?limit=3").json()["results"]:
            r = client.get(f"/api/v1/orgs/{self.org.slug}/posts/?subject={row['subject']}&limit=5")
            ids["posts"] += [post["id"] for post in r.json()["results"]]
        # Appeals live under their calibration: (calibration id, appeal id) pairs.
        ids["appeals"] = []
        for calibration in ids["calibrations"]:
            r = client.get(f"/api/v1/orgs/{self.org.slug}/calibrations/{calibration}/appeals/")
            ids["appeals"] += [(calibration, row["id"]) for row in r.json()["results"]]
        return ids

    def real_references(self, value, key=None):
        """Valid cases name real objects of the organization most of the time (ids in the
        body and the filters), so that they reach the services and not only the id checks."""
        if isinstance(value, dict):
            return {k: self.real_references(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.real_references(v, key) for v in value]
        resource = REFERENCES.get(key)
        real = self.ids.get(resource) if resource else None
        if real and isinstance(value, int) and not isinstance(value, bool) and value % 4 != 3:
            return real[zlib.crc32(str(value).encode()) % len(real)]
        return value

    def snapshot(self):
        with connection.cursor() as cur:
            # The test's own view of every organization: a request called through the WSGI
            # app leaves its transaction-local tenant settings in the test's transaction
            # (row-level security), as tests/conftest.py undoes after test-client requests.
            cur.execute(
                "SELECT set_config('perfhub.org_id', '', true), "
                "set_config('perfhub.user_id', '', true), "
                "set_config('perfhub.system', 'on', true)"
            )
            cur.execute(self.snapshot_query, {"org": self.org.pk})
            return cur.fetchone()

    def prepare(self, case, operation) -> None:
        params = case.path_parameters or {}
        if "org_slug" in params:
            params["org_slug"] = self.org.slug
        if "id" in params:
            resource = operation.path.split("/{id}")[0].rsplit("/", 1)[-1]
            real = self.ids.get(resource) or []
            generated = params["id"]
            if not isinstance(generated, int) or (real and generated % 4 != 3):
                params["id"] = (
                    real[zlib.crc32(str(generated).encode()) % len(real)] if real else 999999
                )
        if "appeal_pk" in params:  # the appeal with its own calibration, most of the time
            pairs = self.ids["appeals"]
            generated = params["appeal_pk"]
            if not isinstance(generated, int) or (pairs and generated % 4 != 3):
                params["id"], params["appeal_pk"] = (
                    pairs[zlib.crc32(str(generated).encode()) % len(pairs)]
                    if pairs
                    else (params["id"], 999999)
                )
        case.path_parameters = params
        if case.meta and case.meta.generation.mode == GenerationMode.POSITIVE:
            if isinstance(case.body, dict):
                case.body = self.real_references(case.body)
            if case.query:
                case.query = self.real_references(case.query)

    def record(self, role, operation, what, detail):
        key = (operation.label, what)
        self.failures.setdefault(key, f"[{role}] {operation.label}: {what}\n{detail}"[:3000])

    def run_case(self, role, operation, case, mode) -> None:
        self.prepare(case, operation)
        self.cases[role] += 1
        org_scoped = operation.path not in GLOBAL_PATHS
        if org_scoped:
            sid = transaction.savepoint()
            before = self.snapshot()
            replay = case.call(headers={"Authorization": f"Token {self.outsider}"})
            if replay.status_code != 404:
                self.record(
                    role,
                    operation,
                    f"outsider got {replay.status_code}",
                    replay.text[:500],
                )
            if self.snapshot() != before:
                self.record(role, operation, "outsider changed data", "")
            transaction.savepoint_rollback(sid)
        sid = transaction.savepoint()
        try:
            headers = {"Authorization": f"Token {self.tokens[role]}"}
            response = case.call(headers=headers)
            self.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all are reported
                self.record(role, operation, f"{response.status_code} {type(exc).__name__}", exc)
            if response.status_code == 400:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if not messages_per_field(body):
                    self.record(role, operation, "400 without messages per field", response.text)
            body_info = (case.meta.components if case.meta else {}).get(ParameterLocation.BODY)
            if (
                mode == GenerationMode.NEGATIVE
                and body_info is not None
                and body_info.mode == GenerationMode.NEGATIVE
                # Form-encoded bodies cannot carry the wrong JSON types schemathesis makes.
                and case.media_type == "application/json"
                and response.status_code < 400
            ):
                self.record(
                    role,
                    operation,
                    f"invalid body accepted ({response.status_code})",
                    f"{case.media_type} {case.body!r}"[:800],
                )
        finally:
            transaction.savepoint_rollback(sid)

    def fuzz(self, role: str) -> None:
        operations = [result.ok() for result in self.schema.get_all_operations()]
        FUZZ_STATS["operations"] = len(operations)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    self.runner(role, operation, mode)()
                except (Unsatisfiable, InvalidArgument) as exc:  # e.g. nothing to make invalid
                    FUZZ_STATS["not generated"].append(f"{operation.label} {mode}: {exc}"[:120])

    def runner(self, role, operation, mode):
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            self.run_case(role, operation, case, mode)

        return run


@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive"])
def test_fuzz_api_as_role(fuzz_org, role_users, role, keep_connection):
    tokens = {r: token_create(user=u)[1] for r, u in role_users.items()}
    outsider = tokens.pop("outsider")
    assert not Membership.objects.filter(
        organization=fuzz_org, user=role_users["outsider"]
    ).exists()
    fuzzer = Fuzzer(fuzz_org, tokens, outsider)
    # detail operations reach real objects: an appeal (with its calibration), a comment
    assert fuzzer.ids["appeals"] and fuzzer.ids["scorecard-comments"], fuzzer.ids
    assert fuzzer.ids["posts"], fuzzer.ids
    assert fuzzer.ids["actions"], fuzzer.ids
    fuzzer.fuzz(role)
    FUZZ_STATS["cases"][role] = fuzzer.cases[role]
    FUZZ_STATS["statuses"].update(fuzzer.statuses)
    assert not fuzzer.failures, "\n\n".join(fuzzer.failures.values())
