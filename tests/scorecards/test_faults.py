"""Faults survived with the real services (tests/live.py), beyond those of test_jobs.py
(Redis stopped while saving, Redis flushed with jobs queued, a worker SIGKILLed mid-run):

- the web process (gunicorn) SIGKILLed right after answering a save: the actual is in the
  database, and its scorecard is computed once a worker and beat run;
- two workers draining the same organization at once while saves keep coming: one result,
  equal to a full recalculation;
- Redis stopped during a burst of saves: every save answered, nothing lost, the scorecards
  converge to a full recalculation."""

import json
import re
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.services import token_create
from metrics.models import Actual, PendingRecalculation
from metrics.services.actuals import ActualInput, actuals_save
from scorecards.models import OrgScorecard, Scorecard
from tests.live import (
    kill,
    line_score,
    scorecard_lines,
    start_beat,
    start_web,
    start_worker,
    wait_for,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _api_post(base_url, path, body, token):
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return response.status, json.loads(response.read())


def test_web_process_killed_right_after_answering_a_save_keeps_the_actual(
    org, hr, setup, redis_server, processes, tmp_path
):
    token = token_create(user=hr)[1]
    web = start_web(processes, redis_server.url)
    status, body = _api_post(
        web.base_url,
        f"/api/v1/orgs/{org.slug}/actuals/",
        {"kpi": setup["kpi"].pk, "period": setup["month"].pk, "value": "1700000", "note": "n"},
        token,
    )
    kill(web)  # SIGKILL, the moment the answer is in
    assert status == 201 and body["version"] == 1
    actual = Actual.objects.for_org(org).get()
    assert actual.value == Decimal("1700000") and actual.source == "api"
    assert PendingRecalculation.objects.for_org(org).count() == 3  # month, quarter, year
    # Nothing else needed: beat reconciles, a worker recalculates.
    start_worker(processes, redis_server)
    start_beat(processes, redis_server, tmp_path)
    wait_for(lambda: line_score(org, setup) is not None, seconds=90, what="the scorecard")
    assert line_score(org, setup) == Decimal("102")


def _world_with_values(org, hr, setup, sales_kpis_values):
    from metrics import selectors

    kpis = {k.indicator.code: k for k in selectors.kpi_list(org=org)}
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[
            ActualInput(kpis[code].pk, month.pk, value, note="n")
            for code, value in sales_kpis_values
            for month in [p for p in setup["periods"] if p.kind == "month"][:3]
        ],
    )


def _results(org):
    cards = sorted(
        Scorecard.objects.for_org(org).values_list(
            "department_id", "period_id", "score", "coverage", "status", "inputs_count"
        )
    )
    indices = sorted(
        OrgScorecard.objects.for_org(org).values_list(
            "period_id", "company_index", "management_index", "business_index"
        )
    )
    return scorecard_lines(org), cards, indices


def test_two_workers_draining_the_same_organization_agree_with_a_serial_run(
    org, hr, setup, redis_server, point_app_at, processes
):
    """Two runs of the same organization at once (a duplicate message: the queued key
    expired, or the sweeper), while saves keep coming: both claim the same marks, the
    roll-up's advisory locks make the second wait for the first per period, a mark raised
    during a run survives it; at the end nothing is marked and the scorecards are those of
    a full recalculation."""
    from metrics.models import Period
    from metrics.services.recalc import RECALCULATE_TASK, recalculation_mark
    from perfhub.celery import app
    from scorecards.rollup import recalculate as serial

    _world_with_values(
        org,
        hr,
        setup,
        [("sales_revenue", "1700000"), ("new_customers", "40"), ("customer_satisfaction", "88")],
    )
    all_ids = [p.pk for p in setup["periods"]]
    point_app_at(redis_server.url)
    # Whole-organization marks (the nightly reconciliation) and department ones (the saves)
    recalculation_mark(org=org, periods=Period.objects.for_org(org).filter(pk__in=all_ids))
    workers = [start_worker(processes, redis_server, name=f"w{n}") for n in (1, 2)]

    def log(worker):
        return Path(worker.log_path).read_text()

    def recalculations(worker):  # not the warm dashboards' jobs they publish
        return len(re.findall(r"reviews\.recalculate\[[^\]]+\] succeeded in", log(worker)))

    wait_for(lambda: all("ready." in log(w) for w in workers), seconds=60, what="workers")
    for _ in range(4):  # published by name, past the queued key: duplicates on purpose
        app.send_task(RECALCULATE_TASK, kwargs={"organization_id": org.pk}, retry=False)
    from metrics import selectors

    kpi = selectors.kpi_list(org=org).get(indicator__code="new_customers")
    months = [p for p in setup["periods"] if p.kind == "month"]
    for n, month in enumerate(months[3:9]):  # saves while the two workers drain
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[ActualInput(kpi.pk, month.pk, str(30 + n), note="n")],
        )
    wait_for(
        lambda: (
            sum(recalculations(w) for w in workers) >= 4
            and not PendingRecalculation.objects.for_org(org).exists()
        ),
        seconds=120,
        what="the marks drained",
    )
    # Which worker takes which duplicate is up to the broker's prefetch (one may take all
    # four): what must hold is that every run ended and the result is the full one.
    assert sum(recalculations(w) for w in workers) >= 4
    parallel = _results(org)
    assert parallel[0] and parallel[1] and parallel[2]
    # One row per department and period, per KPI line and per organization period.
    assert len(parallel[1]) == len({(d, p) for d, p, *_ in parallel[1]})
    assert len(parallel[0]) == len({(k, p) for k, p, *_ in parallel[0]})
    assert {(kpi.pk, m.pk) for m in months[3:9]} <= {(k, p) for k, p, a, *_ in parallel[0] if a}
    serial(org=org, period_ids=all_ids)
    assert _results(org) == parallel


def test_redis_stopped_during_a_burst_of_saves_loses_nothing(
    org, hr, setup, redis_server, point_app_at, processes, tmp_path
):
    """A burst of saves; Redis stops in the middle of it and comes back. Every save is
    answered (the marks are rows of its own transaction); once Redis is back, one run
    drains what was marked while it was down, and the scorecards equal a full
    recalculation."""
    from metrics import selectors
    from scorecards.rollup import recalculate as serial

    all_ids = [p.pk for p in setup["periods"]]
    serial(org=org, period_ids=all_ids)  # the organization as computed before the burst
    point_app_at(redis_server.url)
    start_worker(processes, redis_server)
    start_beat(processes, redis_server, tmp_path)
    codes = ["sales_revenue", "new_customers", "customer_satisfaction"]
    kpis = list(selectors.kpi_list(org=org).filter(indicator__code__in=codes))
    assert len(kpis) == 3
    months = [p for p in setup["periods"] if p.kind == "month"]
    saves = [(k, m) for m in months[:4] for k in kpis]  # 12 saves
    for n, (kpi, month) in enumerate(saves):
        if n == 4:
            redis_server.stop()
        if n == 8:
            redis_server.start()
        actuals_save(
            org=org,
            by=hr,
            source="api",
            can_enter=lambda d: True,
            entries=[ActualInput(kpi.pk, month.pk, str(50 + n), note="n")],
            require_note_for_red=False,
        )
    assert Actual.objects.for_org(org).count() == len(saves)
    wait_for(
        lambda: not PendingRecalculation.objects.for_org(org).exists(),
        seconds=150,
        what="the marks drained",
    )
    burst = _results(org)
    lines = {(k, p): a for k, p, a, *_ in burst[0]}
    for n, (kpi, month) in enumerate(saves):
        assert lines[(kpi.pk, month.pk)] == Decimal(50 + n)
    serial(org=org, period_ids=all_ids)
    assert _results(org) == burst
