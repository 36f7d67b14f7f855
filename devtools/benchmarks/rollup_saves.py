"""Part of ``benchmark rollup``: the incremental cost of one save (``incremental`` in its
figures), on the organization the benchmark built and computed."""

from __future__ import annotations

import random
import statistics
import time

from departments.models import Department
from metrics.models import PendingRecalculation
from metrics.selectors import period_list
from metrics.services.recalc import recalculation_mark
from perfhub.tenancy import org_atomic
from scorecards import tasks


def measure_single_saves(log, world: dict, saves: int) -> dict:
    """The real job after one save: one department's month (and its quarter and year)
    marked, drained and recomputed; leaves of the tree and roots alike, months in turn."""
    org = world["org"]
    with org_atomic(org):
        PendingRecalculation.objects.for_org(org).delete()
        depts = list(Department.objects.for_org(org).order_by("pk"))
        months = list(period_list(org=org, kind="month"))
    rng = random.Random(11)
    timings, lines = [], []
    log(f"incremental: {saves} single-save runs ...")
    for _n in range(max(saves, 1)):
        department, month = rng.choice(depts), rng.choice(months)
        with org_atomic(org):
            recalculation_mark(org=org, periods=[month], departments=[department])
        started = time.perf_counter()
        result = tasks.recalculate.apply(kwargs={"organization_id": org.pk}).get()
        timings.append(time.perf_counter() - started)
        lines.append(result.get("lines", 0))
    timings.sort()
    return {
        "saves": len(timings),
        "median_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.95))] * 1000, 2),
        "lines_per_run": round(statistics.mean(lines), 1),
    }
