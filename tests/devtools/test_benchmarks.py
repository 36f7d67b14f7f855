"""`manage.py benchmark rollup` on a tiny organization: it prints its figures (medians of
alternating runs, every run) and deletes what it created."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from departments.models import Organization
from metrics.models import Actual
from scorecards.models import ScorecardLine

pytestmark = pytest.mark.django_db


def test_benchmark_rollup_prints_figures_and_deletes_its_organization():
    out = io.StringIO()
    call_command(
        "benchmark",
        "rollup",
        "--departments", "3",
        "--kpis", "6",
        "--months", "3",
        "--repeat", "2",
        stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["actuals"] == 3 * 6 * 3
    # the one `sum` KPI of every other department has a target of its own in each month
    assert figures["period_targets"] in (1 * 3, 2 * 3)
    # 6 KPIs × (12 months, 4 quarters, 1 year of the generated fiscal year) × 3 departments
    assert figures["scorecard_lines"] == 3 * 6 * 17
    # every (department, KPI) × the 3 months, their quarter and their year
    assert figures["floor_rows"] == 3 * 6 * (3 + 1 + 1)
    assert len(figures["runs"]) == 2
    assert figures["floor_table"] == "temporary"  # the application role creates no table
    assert figures["ratio"] > 0 and figures["seconds_when_nothing_changed"] > 0
    # as configured and, for comparison, in one part
    assert figures["workers"] == 2 and figures["one_part"]["ratio"] > 0
    assert all(run["one_part_seconds"] > 0 for run in figures["runs"])
    # one save's incremental run (20 by default), after the full ones
    assert figures["incremental"]["saves"] == 20
    assert 0 < figures["incremental"]["median_ms"] <= figures["incremental"]["p95_ms"]
    assert not Organization.objects.exists()
    assert not Actual.objects.unscoped().exists()
    assert not ScorecardLine.objects.unscoped().exists()
    assert not get_user_model().objects.filter(username__startswith="benchmark-").exists()


def test_benchmark_rollup_incremental_only_times_single_saves_and_deletes_its_organization():
    out = io.StringIO()
    call_command(
        "benchmark",
        "rollup",
        "--departments", "4",
        "--kpis", "3",
        "--months", "2",
        "--saves", "5",
        "--incremental-only",
        stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["departments"] == 4 and "runs" not in figures  # no full runs timed
    assert figures["incremental"]["saves"] == 5
    assert 0 < figures["incremental"]["median_ms"] <= figures["incremental"]["p95_ms"]
    assert not Organization.objects.exists()
    assert not ScorecardLine.objects.unscoped().exists()


def _no_throwaway_left():
    assert not Organization.objects.exists()
    assert not Actual.objects.unscoped().exists()
    assert not ScorecardLine.objects.unscoped().exists()
    assert not get_user_model().objects.filter(username__startswith="benchmark-").exists()


@pytest.mark.django_db(transaction=True)  # the served threads read what the setup committed
def test_benchmark_dashboard_prints_the_first_view_after_a_change_next_to_healthz():
    out = io.StringIO()
    call_command(
        "benchmark",
        "dashboard",
        "--departments", "3",
        "--kpis", "4",
        "--months", "2",
        "--requests", "4",
        "--concurrency", "2",
        "--changes", "2",
        stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    first = figures["first_view_after_change"]
    assert first["changes"] == 2
    for block in (figures, first, figures["uncached"]):
        assert block["dashboard"]["median_ms"] > 0 and block["healthz"]["median_ms"] > 0
        assert block["ratio_of_medians"] > 0
    _no_throwaway_left()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_benchmark_burst_runs_the_real_stack_and_prints_its_figures(redis_server, point_app_at):
    point_app_at(redis_server.url)
    out = io.StringIO()
    call_command(
        "benchmark",
        "burst",
        "--departments", "3",
        "--kpis", "4",
        "--months", "2",
        "--saves", "4",
        "--clients", "2",
        "--singles", "2",
        "--repeat", "2",
        "--worker-concurrency", "1",
        stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["actuals"] == 3 * 4 * 2
    single = figures["single_save_visible"]
    assert single["saves"] == 2 and 0 < single["p50_s"] <= single["p95_s"]
    burst = figures["burst"]
    assert burst["saves"] == 4 and burst["clients"] == 2
    assert burst["all_answered_s"] > 0 and 0 < burst["visible_p50_s"] <= burst["all_visible_s"]
    # The real worker recalculated (and warmed), as its log says.
    assert figures["worker"]["recalculations"] >= 1 and figures["worker"]["warmings"] >= 1
    per_save = figures["recalculation_per_save"]
    assert per_save["runs"] == 2 and per_save["median_s"] > 0
    _no_throwaway_left()


def test_benchmark_burst_refuses_to_run_without_a_broker(settings):
    settings.REDIS_URL = ""
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        call_command("benchmark", "burst", stdout=io.StringIO(), stderr=io.StringIO())
