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
