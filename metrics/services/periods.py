"""Periods: generating a fiscal year, locking and reopening."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from perfhub.cache_versions import dashboard_stale

from ..models import Period, PeriodEvent, PeriodKind, PeriodStatus
from .recalc import recalculation_mark

DUE_AFTER_DAYS = 10


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def fiscal_year_periods(*, start_month: int, fiscal_year: int) -> list[dict]:
    """The 12 months, 4 quarters and the year of a fiscal year that starts in `start_month`
    of the calendar year `fiscal_year` (a year starting in April 2026 is FY2026)."""
    rows: list[dict[str, Any]] = []
    for n in range(12):
        y, m = _add_months(fiscal_year, start_month, n)
        rows.append(
            {
                "kind": PeriodKind.MONTH,
                "number": n + 1,
                "start": dt.date(y, m, 1),
                "end": _month_end(y, m),
            }
        )
    for q in range(4):
        first, last = rows[q * 3], rows[q * 3 + 2]
        rows.append(
            {
                "kind": PeriodKind.QUARTER,
                "number": q + 1,
                "start": first["start"],
                "end": last["end"],
            }
        )
    rows.append(
        {"kind": PeriodKind.YEAR, "number": 1, "start": rows[0]["start"], "end": rows[11]["end"]}
    )
    for row in rows:
        row["due_date"] = row["end"] + dt.timedelta(days=DUE_AFTER_DAYS)
    return rows


@transaction.atomic
def periods_generate(*, org, fiscal_year: int, by) -> list[Period]:
    """Create the months, quarters and year of a fiscal year (those missing; idempotent)."""
    if not (2000 <= int(fiscal_year) <= 2100):
        raise ValidationError({"fiscal_year": [_("Enter a year between 2000 and 2100.")]})
    rows = fiscal_year_periods(start_month=org.fiscal_year_start_month, fiscal_year=fiscal_year)
    existing = set(
        Period.objects.for_org(org)
        .filter(start__gte=rows[0]["start"], start__lte=rows[-1]["end"])
        .values_list("kind", "start")
    )
    clash = (
        Period.objects.for_org(org)
        .filter(kind=PeriodKind.YEAR, start__lte=rows[-1]["end"], end__gte=rows[0]["start"])
        .exclude(start=rows[0]["start"])
    )
    if clash.exists():
        raise ValidationError(
            {"fiscal_year": [_("Periods of another fiscal-year start overlap this year.")]}
        )
    new = [
        Period(organization=org, fiscal_year=fiscal_year, **row)
        for row in rows
        if (row["kind"], row["start"]) not in existing
    ]
    Period.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        dashboard_stale(org.pk)  # the period picker lists them
    return list(
        Period.objects.for_org(org).filter(fiscal_year=fiscal_year).order_by("start", "-end")
    )


@transaction.atomic
def period_lock(*, period: Period, by, reason: str = "") -> Period:
    """Lock a period: every change of its actuals is refused until it is reopened."""
    period = Period.objects.for_org(period.organization_id).select_for_update().get(pk=period.pk)
    if period.is_locked:
        raise ValidationError({"status": [_("The period is already locked.")]})
    period.status = PeriodStatus.LOCKED
    period.save(update_fields=["status"])
    dashboard_stale(period.organization_id)
    PeriodEvent.objects.create(
        organization_id=period.organization_id, period=period, action="lock", by=by, reason=reason
    )
    return period


@transaction.atomic
def period_reopen(*, period: Period, by, reason: str) -> Period:
    """Reopen a locked period; who and why are recorded."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the period is reopened.")]})
    period = Period.objects.for_org(period.organization_id).select_for_update().get(pk=period.pk)
    if not period.is_locked:
        raise ValidationError({"status": [_("The period is not locked.")]})
    period.status = PeriodStatus.OPEN
    period.save(update_fields=["status"])
    PeriodEvent.objects.create(
        organization_id=period.organization_id,
        period=period,
        action="reopen",
        by=by,
        reason=reason.strip(),
    )
    recalculation_mark(org=period.organization, periods=[period])
    dashboard_stale(period.organization_id)
    return period
