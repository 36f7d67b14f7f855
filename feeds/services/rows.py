"""A feed's rows → actuals: map the source's columns to department, KPI, period and value,
then save through the one path every actual takes (metrics.services.actuals.actuals_save,
source `feed`): the same checks as the entry page and the upload, all or nothing.

"A value a person typed later" is a stored actual whose source is a person's (the page,
an upload, the API) entered after the feed was set up: the feed leaves it alone, and says
so on the run, unless the feed is set to win. Values typed before the feed existed are
what the feed replaces."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from departments.models import Department
from metrics.models import Actual, Indicator, Kpi, Period, PeriodKind, Source
from metrics.services.actuals import ActualsRefused, actuals_save
from metrics.services.actuals_check import ActualInput
from metrics.values import ValueRefused, parse_value

from ..models import DataFeed
from ..sources import Table

PERSON_SOURCES = {Source.WEB, Source.IMPORT, Source.API}
# Where actuals_save's fields are in the source.
_ROLE_OF_FIELD = {"kpi": "kpi", "period": "period", "value": "value", "note": "note"}
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_QUARTER = re.compile(r"^(?:fy)?\s*(\d{4})\s*-?\s*q([1-4])$", re.I)
_YEAR = re.compile(r"^(?:fy)?\s*(\d{4})$", re.I)
_YYYYMM = re.compile(r"^(\d{4})(\d{2})$")


@dataclass
class Applied:
    """What a run read and what came (or, for a dry run, would come) of it."""

    read: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[dict] = field(default_factory=list)
    skipped_rows: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)

    @property
    def refused_rows(self) -> int:
        return len({p["row"] for p in self.problems})


class _Rollback(Exception):
    pass


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


class _Periods:
    """The organization's periods, found by a date (the period of a kind containing it) or
    by a key: 2026-03 / 202603 / 2026年3月 (a month), fy2026-q1 (a quarter), fy2026."""

    def __init__(self, org):
        self.rows = list(Period.objects.for_org(org))
        self.by_key = {(p.kind, p.fiscal_year, p.number): p for p in self.rows}

    def containing(self, day: dt.date, kind: str) -> Period | None:
        return next((p for p in self.rows if p.kind == kind and p.start <= day <= p.end), None)

    def find(self, raw, kind: str) -> Period | None:
        if isinstance(raw, dt.datetime):
            return self.containing(raw.date(), kind)
        if isinstance(raw, dt.date):
            return self.containing(raw, kind)
        text = _text(raw).lower()
        try:
            if m := _DATE.match(text):
                return self.containing(dt.date(*map(int, m.groups())), kind)
            if m := (_MONTH.match(text) or _YYYYMM.match(text)):
                year, month = map(int, m.groups())
                return self.containing(dt.date(year, month, 1), PeriodKind.MONTH)
        except ValueError:
            return None
        if m := _QUARTER.match(text):
            return self.by_key.get((PeriodKind.QUARTER, int(m.group(1)), int(m.group(2))))
        if m := _YEAR.match(text):
            return next(
                (
                    p
                    for p in self.rows
                    if p.kind == PeriodKind.YEAR and p.fiscal_year == int(m.group(1))
                ),
                None,
            )
        return None


def _positions(feed: DataFeed, table: Table) -> tuple[dict[str, int], list[dict]]:
    names = {c.strip().lower(): i for i, c in enumerate(table.columns) if c is not None}
    wanted = {
        "department": feed.department_column,
        "kpi": feed.kpi_column,
        "period": feed.period_column,
        "value": feed.value_column,
    }
    if feed.note_column:
        wanted["note"] = feed.note_column
    positions, problems = {}, []
    for role, column in wanted.items():
        index = names.get(column.strip().lower())
        if index is None:
            problems.append(
                {
                    "row": 0,
                    "column": column,
                    "message": _("The source has no column “%(column)s” (its columns: %(all)s).")
                    % {"column": column, "all": ", ".join(str(c) for c in table.columns) or "—"},
                }
            )
        else:
            positions[role] = index
    return positions, problems


def _typed_later(stored, feed: DataFeed) -> bool:
    return stored.source in PERSON_SOURCES and stored.entered_at > feed.created_at


def rows_apply(*, org, feed: DataFeed, table: Table, dry_run: bool) -> Applied:
    """Map the table's rows and save them as actuals, all or nothing: any refused row and
    nothing is saved (`problems` lists each with its row, the source's column and the
    reason); a dry run saves nothing either and tells what would change. Runs in the
    caller's transaction (a savepoint of its own)."""
    out = Applied()
    cols, out.problems = _positions(feed, table)
    if out.problems:
        return out
    column = {
        "department": feed.department_column,
        "kpi": feed.kpi_column,
        "period": feed.period_column,
        "value": feed.value_column,
        "note": feed.note_column or "note",
    }

    def refuse(number: int, role: str, message: str) -> None:
        out.problems.append({"row": number, "column": column[role], "message": str(message)})

    departments = {d.code.lower(): d for d in Department.objects.for_org(org)}
    indicators = {i.code.lower(): i for i in Indicator.objects.for_org(org)}
    kpis = {(k.department_id, k.indicator_id): k for k in Kpi.objects.for_org(org)}
    periods = _Periods(org)
    entries: list[ActualInput] = []
    facts: dict[str, tuple] = {}
    for index, row in enumerate(table.rows):
        number = table.first_row + index

        def cell(role: str, row=row):
            i = cols.get(role)
            return row[i] if i is not None and i < len(row) else None

        if all(_blank(c) for c in row):
            continue
        out.read += 1
        if _blank(cell("value")):
            out.skipped_rows.append({"row": number, "message": _("No value: nothing to save.")})
            continue
        code, indicator_code = _text(cell("department")), _text(cell("kpi"))
        department = departments.get(code.lower())
        indicator = indicators.get(indicator_code.lower())
        if department is None:
            refuse(number, "department", _("Unknown department code “%s”.") % code)
        if indicator is None:
            refuse(number, "kpi", _("Unknown indicator code “%s”.") % indicator_code)
        if department is None or indicator is None:
            continue
        kpi = kpis.get((department.pk, indicator.pk))
        if kpi is None:
            refuse(
                number,
                "kpi",
                _("The department %(department)s has no KPI “%(indicator)s”.")
                % {"department": department.code, "indicator": indicator.code},
            )
            continue
        period = periods.find(cell("period"), indicator.frequency)
        if period is None:
            refuse(
                number,
                "period",
                _(
                    "“%s” is not a period of this organization: write 2026-03, fy2026-q1, "
                    "fy2026 or a date."
                )
                % _text(cell("period")),
            )
            continue
        ref = str(number)
        facts[ref] = (number, kpi, period, indicator, department)
        entries.append(
            ActualInput(
                kpi_id=kpi.pk,
                period_id=period.pk,
                value=cell("value"),
                note=_text(cell("note")) if "note" in cols else "",
                ref=ref,
            )
        )
    try:
        # Rows refused above are still checked by the service, so the run lists every
        # problem at once; the savepoint is rolled back when anything was refused.
        with transaction.atomic():
            _save(org, feed, entries, facts, out)
            if dry_run or out.problems:
                raise _Rollback
    except _Rollback:
        if out.problems:
            out.created = out.changed = out.unchanged = 0
            out.changes = []
    except ActualsRefused as exc:
        for ref, fields in exc.errors.items():
            number = facts[ref][0] if ref in facts else 0
            for field_name, messages in fields.items():
                for message in messages:
                    refuse(number, _ROLE_OF_FIELD.get(field_name, "value"), message)
        for conflict in exc.conflicts:
            refuse(
                facts[conflict.ref][0] if conflict.ref in facts else 0,
                "value",
                _("Changed by %(by)s while the feed ran: it runs again next time.")
                % {"by": conflict.by or _("someone")},
            )
        out.created = out.changed = out.unchanged = 0
        out.changes = []
    out.problems.sort(key=lambda p: (p["row"], p["column"]))
    return out


def _save(org, feed: DataFeed, entries: list[ActualInput], facts, out: Applied) -> None:
    pairs_kpis = {e.kpi_id for e in entries}
    pairs_periods = {e.period_id for e in entries}
    fields = ("kpi_id", "period_id", "value", "note", "version", "source", "entered_at")
    stored = {
        (a.kpi_id, a.period_id): a
        for a in Actual.objects.for_org(org)
        .filter(kpi_id__in=pairs_kpis, period_id__in=pairs_periods)
        .select_for_update()
        .values_list(*fields, named=True)
    }
    kept: list[ActualInput] = []
    for entry in entries:
        current = stored.get((entry.kpi_id, entry.period_id))
        if current is not None:
            entry.version = current.version
            if not feed.note_column:
                entry.note = current.note
            if _typed_later(current, feed) and not feed.wins_over_people:
                number, _kpi, _period, indicator, _department = facts[entry.ref]
                try:
                    value = parse_value(entry.value, indicator.unit)
                except ValueRefused:
                    value = None  # refused by the save, with its message
                if value is not None and value != current.value:
                    out.skipped_rows.append(
                        {
                            "row": number,
                            "message": _(
                                "Kept the value %(value)s a person entered on %(at)s, after "
                                "this feed was set up (the feed is not set to win)."
                            )
                            % {
                                "value": _number(current.value),
                                "at": date_format(
                                    timezone.localtime(current.entered_at), "DATETIME_FORMAT"
                                ),
                            },
                        }
                    )
                    continue
        kept.append(entry)
    result = actuals_save(
        org=org,
        by=None,
        source=Source.FEED,
        entries=kept,
        can_enter=lambda department: True,
        forbidden_as_errors=True,
        require_note_for_red=False,
    )
    out.created, out.changed, out.unchanged = result.created, result.updated, result.unchanged
    after = {
        (a.kpi_id, a.period_id): a.value
        for a in Actual.objects.for_org(org)
        .filter(kpi_id__in={e.kpi_id for e in kept}, period_id__in={e.period_id for e in kept})
        .values_list("kpi_id", "period_id", "value", named=True)
    }
    shown = int(settings.PERFHUB_FEED_CHANGES_SHOWN)
    for entry in kept:
        key = (entry.kpi_id, entry.period_id)
        before = stored.get(key)
        new = after.get(key)
        if new is None or (before is not None and before.value == new):
            continue
        if len(out.changes) >= shown:
            break
        number, _kpi, period, indicator, department = facts[entry.ref]
        out.changes.append(
            {
                "row": number,
                "department": department.code,
                "kpi": indicator.code,
                "period": str(period.label),
                "old": None if before is None else _number(before.value),
                "new": _number(new),
            }
        )


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
