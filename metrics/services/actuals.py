"""Writing actuals: the one path for the entry page, spreadsheet imports and the API.

All or nothing: every entry is checked (value, unit, period lock, permission, version,
a note for a value that scores red) and if any is refused nothing is written. Versions
prevent lost updates: an entry must carry the version it was read at when the actual
exists, else it is a conflict that shows the other person's value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from perfhub.history import declare_no_ignored_triggers, history_context

from .. import scoring
from ..models import Actual, ActualChange, Kpi, Period, Source
from ..scoring_rules import rule_for
from ..values import ValueRefused, parse_value
from .recalc import recalculation_mark

# Refused in notes: PostgreSQL cannot store NUL, and an .xlsx cannot hold the others.
# Characters PostgreSQL refuses (NUL) or nobody means to type in a text: refused with a
# message wherever people write text (notes here, reviews and feedback in reviews.services).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class ActualInput:
    kpi_id: int
    period_id: int
    value: object
    note: str = ""
    version: int | None = None
    ref: str = ""  # how the caller names this entry in errors (cell, row number)


@dataclass
class Conflict:
    ref: str
    kpi_id: int
    period_id: int
    their_value: Decimal
    their_version: int
    by: str
    at: str


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    actuals: list[Actual] = field(default_factory=list)


class ActualsRefused(Exception):
    """Nothing was saved. `errors` maps an entry's ref to {field: [messages]}; `conflicts`
    lists entries whose actual changed since it was read."""

    def __init__(self, errors: dict[str, dict[str, list[str]]], conflicts: list[Conflict]):
        super().__init__("actuals refused")
        self.errors = errors
        self.conflicts = conflicts

    @property
    def only_conflicts(self) -> bool:
        return bool(self.conflicts) and not self.errors


def period_rule(kpi: Kpi, period: Period) -> scoring.KpiRule | None:
    """The scoring rule of a KPI in a period, None when it is not scored there."""
    if not kpi.is_scored or kpi.target is None:
        return None
    return rule_for(kpi, period_months=scoring.months_in(period.kind))


def preview_score(kpi: Kpi, period: Period, value: Decimal) -> Decimal | None:
    rule = period_rule(kpi, period)
    if rule is None:
        return None
    try:
        return scoring.kpi_score(rule, value)
    except (scoring.TargetError, ValueError):
        return None


def _conflicts(org, stale: list[tuple[ActualInput, Actual]]) -> list[Conflict]:
    """Conflicts showing the other person's value, who saved it and when. Their names are
    read here, in one query: a row locked FOR UPDATE after a concurrent change is
    re-checked by PostgreSQL, and a user joined into that query could come back empty."""
    ids = {a.entered_by_id for _, a in stale if a.entered_by_id}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    return [
        Conflict(
            ref=entry.ref,
            kpi_id=existing.kpi_id,
            period_id=existing.period_id,
            their_value=existing.value,
            their_version=existing.version,
            by=names.get(existing.entered_by_id, ""),
            at=date_format(timezone.localtime(existing.entered_at), "DATETIME_FORMAT"),
        )
        for entry, existing in stale
    ]


@transaction.atomic
def actuals_save(
    *,
    org,
    by,
    source: str,
    entries: Iterable[ActualInput],
    can_enter: Callable[[object], bool],
    forbidden_as_errors: bool = False,
    require_note_for_red: bool = True,
) -> SaveResult:
    """Check and write many actuals at once (SPEC §2, §6).

    `can_enter(department)` is the caller's permission predicate; a forbidden entry raises
    PermissionDenied (pages, API) or, with `forbidden_as_errors`, is listed as a row error
    (imports). Raises ActualsRefused with every problem found; writes nothing then."""
    entries = list(entries)
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    kpi_ids = {e.kpi_id for e in entries if isinstance(e.kpi_id, int)}
    period_ids = {e.period_id for e in entries if isinstance(e.period_id, int)}
    kpis = {
        k.pk: k
        for k in Kpi.objects.for_org(org)
        .filter(pk__in=kpi_ids)
        .select_related("indicator", "department")
    }
    periods = {p.pk: p for p in Period.objects.for_org(org).filter(pk__in=period_ids)}
    existing = {
        (a.kpi_id, a.period_id): a
        for a in Actual.objects.for_org(org)
        .filter(kpi_id__in=kpi_ids, period_id__in=period_ids)
        .select_for_update()
    }
    errors: dict[str, dict[str, list[str]]] = {}
    stale: list[tuple[ActualInput, Actual]] = []
    seen: set[tuple[int, int]] = set()
    now = timezone.now()
    new_rows: list[Actual] = []
    changed_rows: list[Actual] = []
    unchanged = 0
    allowed_cache: dict[int, bool] = {}

    def refuse(entry: ActualInput, field_name: str, message: str) -> None:
        errors.setdefault(entry.ref, {}).setdefault(field_name, []).append(str(message))

    for entry in entries:
        kpi = kpis.get(entry.kpi_id)
        period = periods.get(entry.period_id)
        if kpi is None:
            refuse(entry, "kpi", _("Unknown KPI."))
        if period is None:
            refuse(entry, "period", _("Unknown period."))
        if kpi is None or period is None:
            continue
        key = (kpi.pk, period.pk)
        if key in seen:
            refuse(entry, "kpi", _("This KPI and period are listed twice."))
            continue
        seen.add(key)
        department = kpi.department
        if department.pk not in allowed_cache:
            allowed_cache[department.pk] = bool(can_enter(department))
        if not allowed_cache[department.pk]:
            if not forbidden_as_errors:
                raise PermissionDenied(_("You may not enter actuals of %s.") % department)
            refuse(entry, "kpi", _("You may not enter actuals of %s.") % department)
            continue
        if period.is_locked:
            refuse(
                entry,
                "period",
                _("%(period)s is locked: its actuals cannot change (HR can reopen it).")
                % {"period": period.label},
            )
            continue
        if not kpi.is_active:
            refuse(entry, "kpi", _("This KPI is inactive."))
            continue
        if not kpi.indicator.typed:
            refuse(entry, "value", _("This value is computed by PerfHub and cannot be typed."))
            continue
        if kpi.indicator.frequency != period.kind:
            refuse(
                entry,
                "period",
                _("This KPI is entered per %(kind)s, not per %(period_kind)s.")
                % {
                    "kind": kpi.indicator.get_frequency_display().lower(),
                    "period_kind": period.get_kind_display().lower(),
                },
            )
            continue
        try:
            value = parse_value(entry.value, kpi.indicator.unit)
        except ValueRefused as exc:
            refuse(entry, "value", exc.message)
            continue
        if value is None:
            refuse(entry, "value", _("Enter a value."))
            continue
        note = (entry.note or "").strip()
        if len(note) > 2000:
            refuse(entry, "note", _("At most 2000 characters."))
            continue
        if CONTROL_CHARACTERS.search(note):
            refuse(
                entry,
                "note",
                _("The note contains invisible control characters (such as NUL): remove them."),
            )
            continue
        current = existing.get(key)
        if current is not None:
            if entry.version != current.version:
                stale.append((entry, current))
                continue
            if current.value == value and current.note == note:
                unchanged += 1
                continue
        if require_note_for_red and not note:
            score = preview_score(kpi, period, value)
            if score is not None and scoring.kpi_status(score, org.amber_line) == "red":
                refuse(
                    entry,
                    "note",
                    _(
                        "Add a note: this value scores %(score)s, below the amber line "
                        "(%(line)s). Say what happened and what is being done."
                    )
                    % {
                        "score": scoring.round_display(score),
                        "line": scoring.round_display(org.amber_line, 0),
                    },
                )
                continue
        row = Actual(
            organization_id=org.pk,
            kpi=kpi,
            period=period,
            department_id=kpi.department_id,
            value=value,
            note=note,
            entered_by=by,
            entered_at=now,
            source=source,
            version=1 if current is None else current.version + 1,
        )
        if current is None:
            new_rows.append(row)
        else:
            row.pk = current.pk
            changed_rows.append(row)

    if errors or stale:
        raise ActualsRefused(errors, _conflicts(org, stale))

    declare_no_ignored_triggers()
    with history_context(source=source, user=getattr(by, "pk", None)):
        try:
            with transaction.atomic():
                created = Actual.objects.bulk_create(new_rows, batch_size=2000)
        except IntegrityError as exc:
            # Someone created some of these actuals between our read and our write (their
            # insert made ours wait, then fail): the same conflict as a stale version.
            conflicts = _created_meanwhile(org, new_rows, entries)
            if not conflicts:  # another constraint failed: let it surface
                raise
            raise ActualsRefused({}, conflicts) from exc
        # The rows being changed are locked (select_for_update): an upsert is safe.
        Actual.objects.bulk_create(
            changed_rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["organization", "kpi", "period"],
            update_fields=["value", "note", "entered_by", "entered_at", "source", "version"],
        )
    if connection.vendor != "postgresql":
        _record_history_without_triggers(org, created, changed_rows)
    touched = {periods[a.period_id] for a in [*created, *changed_rows]}
    if touched:
        recalculation_mark(org=org, periods=touched)
    return SaveResult(
        created=len(created),
        updated=len(changed_rows),
        unchanged=unchanged,
        actuals=[*created, *changed_rows],
    )


def _created_meanwhile(org, new_rows: list[Actual], entries) -> list[Conflict]:
    """The actuals another request created between our read and our write."""
    by_key = {(e.kpi_id, e.period_id): e for e in entries}
    keys = {(a.kpi_id, a.period_id) for a in new_rows}
    theirs = Actual.objects.for_org(org).filter(
        kpi_id__in={kpi for kpi, __ in keys}, period_id__in={period for __, period in keys}
    )
    return _conflicts(
        org,
        [(by_key[(a.kpi_id, a.period_id)], a) for a in theirs if (a.kpi_id, a.period_id) in keys],
    )


def _record_history_without_triggers(org, created, changed) -> None:
    """SQLite (the demo) has no triggers: write the same history rows by hand."""
    now = timezone.now()
    rows = Actual.objects.for_org(org).filter(
        pk__in=[a.pk for a in created if a.pk] + [a.pk for a in changed]
    )
    ActualChange.objects.bulk_create(
        ActualChange(
            pgh_label="recorded",
            pgh_obj_id=row.pk,
            pgh_created_at=now,
            organization_id=row.organization_id,
            kpi_id=row.kpi_id,
            period_id=row.period_id,
            value=row.value,
            note=row.note,
            version=row.version,
            source=row.source,
            entered_by_id=row.entered_by_id,
            entered_at=row.entered_at,
        )
        for row in rows
    )


@transaction.atomic
def computed_actual_set(*, org, kpi: Kpi, period: Period, value: Decimal | None, source: str):
    """Write (or, with `value` None, remove) the actual of a KPI whose value PerfHub derives
    itself (`internal_service_satisfaction` from feedback): the one write path besides
    actuals_save, with the same history, version and recalculation mark."""
    if kpi.organization_id != org.pk or period.organization_id != org.pk:
        raise ValueError("KPI and period must belong to the organization")
    current = Actual.objects.for_org(org).filter(kpi=kpi, period=period).select_for_update().first()
    if value is None:
        if current is None:
            return None
        with history_context(source=source, user=None):
            current.delete()
        recalculation_mark(org=org, periods=[period])
        return None
    if current is not None and current.value == value:
        return current
    row = current or Actual(
        organization_id=org.pk, kpi=kpi, period=period, department_id=kpi.department_id
    )
    row.value = value
    row.note = ""
    row.entered_by = None
    row.entered_at = timezone.now()
    row.source = source
    row.version = 1 if current is None else current.version + 1
    declare_no_ignored_triggers()
    with history_context(source=source, user=None):
        row.save()
    if connection.vendor != "postgresql":
        _record_history_without_triggers(org, [row], [])
    recalculation_mark(org=org, periods=[period])
    return row
