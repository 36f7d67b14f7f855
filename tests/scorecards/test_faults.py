"""Faults survived with the real services (tests/live.py), beyond those of test_jobs.py
(Redis stopped while saving, Redis flushed with jobs queued, a worker SIGKILLed mid-run):

- the web process (gunicorn) SIGKILLed right after answering a save: the actual is in the
  database, and its scorecard is computed once a worker and beat run;
- two workers recalculating the same organization and periods at once: one result, equal
  to a serial run."""

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


def test_two_workers_recalculating_the_same_org_and_periods_agree_with_a_serial_run(
    org, hr, setup, redis_server, point_app_at, processes
):
    from scorecards.rollup import recalculate as serial
    from scorecards.tasks import enqueue

    _world_with_values(
        org,
        hr,
        setup,
        [("sales_revenue", "1700000"), ("new_customers", "40"), ("customer_satisfaction", "88")],
    )
    all_ids = [p.pk for p in setup["periods"]]
    point_app_at(redis_server.url)
    workers = [start_worker(processes, redis_server, name=f"w{n}") for n in (1, 2)]

    def log(worker):
        return Path(worker.log_path).read_text()

    def recalculations(worker):  # not the warm dashboards' jobs they publish
        return len(re.findall(r"reviews\.recalculate\[[^\]]+\] succeeded in", log(worker)))

    wait_for(lambda: all("ready." in log(w) for w in workers), seconds=60, what="workers")
    # Both idle workers take the same work at once (the roll-up's advisory lock makes the
    # second wait for the first, never mix with it).
    for _ in range(6):
        assert enqueue(org.pk, all_ids)
    wait_for(
        lambda: sum(recalculations(w) for w in workers) == 6,
        seconds=90,
        what="six recalculations",
    )
    assert all(recalculations(w) for w in workers), "each worker ran at least one"
    parallel = _results(org)
    assert parallel[0] and parallel[1] and parallel[2]
    # One row per department and period, per KPI line and per organization period.
    assert len(parallel[1]) == len({(d, p) for d, p, *_ in parallel[1]})
    assert len(parallel[0]) == len({(k, p) for k, p, *_ in parallel[0]})
    serial(org=org, period_ids=all_ids)
    assert _results(org) == parallel
