"""Writing actuals: the one path for the entry page, spreadsheet imports and the API.

All or nothing: every entry is checked (value, unit, period lock, permission, version,
a note for a value that scores red) and if any is refused nothing is written. Versions
prevent lost updates: an entry must carry the version it was read at when the actual
exists, else it is a conflict that shows the other person's value."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pgtrigger
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from perfhub.history import declare_no_ignored_triggers, history_context
from perfhub.names import display_name

from .. import scoring
from ..models import Actual, Kpi, KpiPeriodTarget, Period, Source
from ..scoring_rules import rule_for
from .actuals_check import (
    ActualInput,
    Checked,
    CurrentFacts,
    KpiFacts,
    PeriodFacts,
    actuals_check,
)
from .history import record_history_without_triggers
from .recalc import recalculation_mark, recalculation_mark_changes
from .signoff import after_entry


@dataclass
class Conflict:
    ref: str
    kpi_id: int
    period_id: int
    their_value: Decimal
    their_version: int
    by: str  # their name as pages show it (perfhub.names)
    at: str
    by_username: str = ""


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


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


def _rule_in_months(
    kpi: Kpi, months: int, own: scoring.PeriodTarget | None = None
) -> scoring.KpiRule | None:
    """The KPI's rule in a period of `months` months (with the period's own target `own`),
    None when it is not scored there."""
    if not kpi.is_scored or kpi.target is None:
        return None
    return rule_for(kpi, period_months=months, own=own)


def _conflicts(org, stale: list[tuple[ActualInput, Any]]) -> list[Conflict]:
    """Conflicts showing the other person's value, who saved it and when. Their names are
    read here, in one query: a row locked FOR UPDATE after a concurrent change is
    re-checked by PostgreSQL, and a user joined into that query could come back empty."""
    ids = {a.entered_by_id for _, a in stale if a.entered_by_id}
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=ids)
        .only("pk", "username", "first_name", "last_name")
    }
    return [
        Conflict(
            ref=entry.ref,
            kpi_id=existing.kpi_id,
            period_id=existing.period_id,
            their_value=existing.value,
            their_version=existing.version,
            by=display_name(users.get(existing.entered_by_id)),
            at=date_format(timezone.localtime(existing.entered_at), "DATETIME_FORMAT"),
            by_username=getattr(users.get(existing.entered_by_id), "username", ""),
        )
        for entry, existing in stale
    ]


# What is read of each stored actual: its key, the facts the check compares, and what a
# conflict shows (`_conflicts`).
_STORED_FIELDS = (
    "pk",
    "kpi_id",
    "period_id",
    "value",
    "note",
    "version",
    "entered_by_id",
    "entered_at",
    "status",
    "confirmed_value",
    "reviewed_by_id",
    "reviewed_at",
    "review_reason",
)


@dataclass
class _Loaded:
    """What `actuals_save` reads before checking: the rows (to write and to report
    conflicts with) and their plain facts (for `actuals_check`)."""

    kpis: dict[int, Kpi]
    periods: dict[int, Period]
    existing: dict[tuple[int, int], Any]  # rows of _STORED_FIELDS, by (KPI, period)
    kpi_facts: dict[int, KpiFacts]
    period_facts: dict[int, PeriodFacts]
    current: dict[tuple[int, int], CurrentFacts]
    allowed: dict[int, bool]
    # The rule of a (KPI, period) that has a target of its own (docs/scoring.md).
    period_rules: dict[tuple[int, int], scoring.KpiRule | None]


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
    """Check and write many actuals at once (SPEC §2, §6): load, check, write.

    `can_enter(department)` is the caller's permission predicate; a forbidden entry raises
    PermissionDenied (pages, API) or, with `forbidden_as_errors`, is listed as a row error
    (imports). Raises ActualsRefused with every problem found; writes nothing then."""
    entries = list(entries)
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    loaded = _actuals_load(org, entries, can_enter)
    checked = actuals_check(
        entries,
        kpis=loaded.kpi_facts,
        periods=loaded.period_facts,
        current=loaded.current,
        allowed=loaded.allowed,
        amber_line=org.amber_line,
        require_note_for_red=require_note_for_red,
        period_rules=loaded.period_rules,
    )
    if checked.forbidden is not None and not forbidden_as_errors:
        raise PermissionDenied(checked.forbidden)
    if checked.errors or checked.stale:
        errors: dict[str, dict[str, list[str]]] = {}
        for error in checked.errors:
            errors.setdefault(error.ref, {}).setdefault(error.field, []).append(error.message)
        stale = [
            (entries[i], loaded.existing[(entries[i].kpi_id, entries[i].period_id)])
            for i in checked.stale
        ]
        raise ActualsRefused(errors, _conflicts(org, stale))
    return _actuals_write(org, by, source, entries, loaded, checked)


def _actuals_load(org, entries: list[ActualInput], can_enter) -> _Loaded:
    """The KPIs and periods the entries name, their current actuals (locked FOR UPDATE
    until the transaction ends) and the caller's permission for each department entered
    into: three queries, plus what `can_enter` asks."""
    kpi_ids = {e.kpi_id for e in entries if isinstance(e.kpi_id, int)}
    period_ids = {e.period_id for e in entries if isinstance(e.period_id, int)}
    kpis = {
        k.pk: k
        for k in Kpi.objects.for_org(org)
        .filter(pk__in=kpi_ids)
        .select_related("indicator", "department")
    }
    periods = {p.pk: p for p in Period.objects.for_org(org).filter(pk__in=period_ids)}
    # Plain rows, not model instances: an upload of 50,000 rows reads as many actuals.
    existing = {
        (a.kpi_id, a.period_id): a
        for a in Actual.objects.for_org(org)
        .filter(kpi_id__in=kpi_ids, period_id__in=period_ids)
        .select_for_update()
        .values_list(*_STORED_FIELDS, named=True)
    }
    # Targets per period: the entries' own (KPI, period) targets, one query (an entry
    # period is the KPI's entry grain, so only its own target applies).
    own_targets = KpiPeriodTarget.objects.for_org(org).filter(
        kpi_id__in=kpi_ids, period_id__in=period_ids
    )
    period_rules = {
        (t.kpi_id, t.period_id): _rule_in_months(
            kpis[t.kpi_id],
            scoring.months_in(kpis[t.kpi_id].indicator.frequency),
            own=scoring.PeriodTarget(t.target, t.threshold, t.target_max),
        )
        for t in own_targets
        if t.kpi_id in kpis
    }
    # Asked only for the departments of entries whose KPI and period both exist, as the
    # check reaches the question for those alone.
    allowed: dict[int, bool] = {}
    for entry in entries:
        kpi = kpis.get(entry.kpi_id)
        if kpi is not None and entry.period_id in periods and kpi.department_id not in allowed:
            allowed[kpi.department_id] = bool(can_enter(kpi.department))
    return _Loaded(
        kpis=kpis,
        periods=periods,
        existing=existing,
        kpi_facts={pk: _kpi_facts(kpi) for pk, kpi in kpis.items()},
        period_facts={
            pk: PeriodFacts(
                pk=pk,
                kind=p.kind,
                kind_label=str(p.get_kind_display()).lower(),
                label=str(p.label),
                is_locked=p.is_locked,
            )
            for pk, p in periods.items()
        },
        current={
            key: CurrentFacts(value=a.value, note=a.note, version=a.version)
            for key, a in existing.items()
        },
        allowed=allowed,
        period_rules=period_rules,
    )


def _kpi_facts(kpi: Kpi) -> KpiFacts:
    indicator = kpi.indicator
    return KpiFacts(
        pk=kpi.pk,
        department_id=kpi.department_id,
        department_label=str(kpi.department),
        is_active=kpi.is_active,
        typed=indicator.typed,
        frequency=indicator.frequency,
        frequency_label=str(indicator.get_frequency_display()).lower(),
        unit=indicator.unit,
        rule=_rule_in_months(kpi, scoring.months_in(indicator.frequency)),
        name=indicator.display_name,
        value_min=indicator.bounds[0],
        value_max=indicator.bounds[1],
    )


def _actuals_write(org, by, source, entries, loaded: _Loaded, checked: Checked) -> SaveResult:
    """Write what the check accepted (inserts, then updates of the locked rows), record
    their history and mark their periods for recalculation."""
    now = timezone.now()
    creates = [w for w in checked.writes if w.creates]
    changes = [w for w in checked.writes if not w.creates]
    signoff = {
        (w.kpi_id, w.period_id): after_entry(
            needs_confirmation=loaded.kpis[w.kpi_id].needs_confirmation,
            stored=loaded.existing.get((w.kpi_id, w.period_id)),
            value=w.value,
        )
        for w in checked.writes
    }
    if connection.vendor == "postgresql":
        _write_set_based(org, by, source, now, entries, loaded, creates, changes, signoff)
    else:
        _write_rows(org, by, source, now, entries, loaded, creates, changes, signoff)
    # Marks at the grain of the change: each (month, department) saved, with the quarter
    # and year containing it - never the whole organization. A value that waits for its
    # confirmation changes no score yet (it is marked when confirmed).
    touched = {
        (loaded.periods[w.period_id], loaded.kpis[w.kpi_id].department_id)
        for w in checked.writes
        if signoff[(w.kpi_id, w.period_id)].changes_score
    }
    if touched:
        recalculation_mark_changes(org=org, changes=touched)
    return SaveResult(created=len(creates), updated=len(changes), unchanged=checked.unchanged)


# The history triggers this path replaces by one INSERT ... SELECT of the rows written.
_SET_BASED_TRIGGERS = ("entered_insert", "changed_update")
# The history rows of what a statement's `written` rows hold now (pghistory's columns).
_HISTORY_OF_WRITTEN = (
    "INSERT INTO metrics_actualchange (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id, "
    "organization_id, kpi_id, period_id, value, note, version, source, entered_by_id, "
    "entered_at, status, confirmed_value, reviewed_by_id, reviewed_at, review_reason) "
    "SELECT NOW(), %s, id, (SELECT _pgh_attach_context()), organization_id, "
    "kpi_id, period_id, value, note, version, source, entered_by_id, entered_at, status, "
    "confirmed_value, reviewed_by_id, reviewed_at, review_reason FROM written "
    "RETURNING kpi_id, period_id"
)

# Constant SQL (values go as parameters): the new actuals, then their history.
_INSERT_SQL = (
    "WITH written AS (INSERT INTO metrics_actual (organization_id, kpi_id, period_id, "  # noqa: S608
    "department_id, value, note, version, source, entered_by_id, entered_at, status, "
    "confirmed_value) "
    "SELECT %s, k, p, d, v, n, r, %s, %s, %s, st, cv FROM unnest("
    "%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::text[], "
    "%s::integer[], %s::text[], %s::numeric[]) AS t(k, p, d, v, n, r, st, cv) "
    "ON CONFLICT (organization_id, kpi_id, period_id) DO NOTHING "
    "RETURNING *) " + _HISTORY_OF_WRITTEN
)
_UPDATE_SQL = (
    "WITH written AS (UPDATE metrics_actual AS a SET value = t.v, note = t.n, "  # noqa: S608
    "version = t.r, source = %s, entered_by_id = %s, entered_at = %s, status = t.st, "
    "confirmed_value = t.cv, reviewed_by_id = CASE WHEN t.keep THEN a.reviewed_by_id END, "
    "reviewed_at = CASE WHEN t.keep THEN a.reviewed_at END, "
    "review_reason = CASE WHEN t.keep THEN a.review_reason ELSE '' END "
    "FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::integer[], %s::text[], "
    "%s::numeric[], %s::boolean[]) AS t(id, v, n, r, st, cv, keep) "
    "WHERE a.id = t.id AND a.organization_id = %s "
    "RETURNING a.*) " + _HISTORY_OF_WRITTEN
)


def ignored_history_triggers() -> str:
    """The PostgreSQL array literal naming Actual's insert and update history triggers."""
    names = [
        trigger.get_pgid(model)
        for model, trigger in pgtrigger.registered()
        if model is Actual and trigger.name in _SET_BASED_TRIGGERS
    ]
    if len(names) != len(_SET_BASED_TRIGGERS):
        raise RuntimeError(f"Actual's history triggers changed: {names}")
    return "{" + ",".join(names) + "}"


def _write_set_based(
    org, by, source, now, entries, loaded: _Loaded, creates, changes, signoff
) -> None:
    """PostgreSQL: one INSERT of the new actuals and one UPDATE of the changed ones, each
    from arrays (unnest), each recording its history rows in the same statement with one
    INSERT ... SELECT. The per-row history triggers are skipped for these two statements
    only (pgtrigger.ignore, local to the transaction, reset right after): they would each
    open a subtransaction per row to read the history context (50,000 rows: seconds)."""
    user_id = getattr(by, "pk", None)
    with history_context(source=source, user=user_id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', %s, true)", [ignored_history_triggers()]
        )
        if creates:
            cursor.execute(
                _INSERT_SQL,
                [
                    org.pk,
                    source,
                    user_id,
                    now,
                    _array(w.kpi_id for w in creates),
                    _array(w.period_id for w in creates),
                    _array(loaded.kpis[w.kpi_id].department_id for w in creates),
                    _array(w.value for w in creates),
                    _text_array(w.note for w in creates),
                    _array(w.version for w in creates),
                    _text_array(signoff[(w.kpi_id, w.period_id)].status for w in creates),
                    _array(signoff[(w.kpi_id, w.period_id)].confirmed for w in creates),
                    "entered",
                ],
            )
            if cursor.rowcount != len(creates):
                # Someone created some of these actuals between our read and our write
                # (their insert made ours wait, then skip the row): the same conflict as a
                # stale version. Raising rolls the whole save back.
                written = set(cursor.fetchall())
                missing = [w for w in creates if (w.kpi_id, w.period_id) not in written]
                conflicts = _created_meanwhile(org, missing, entries)
                if not conflicts:
                    raise RuntimeError("actuals neither inserted nor found")
                raise ActualsRefused({}, conflicts)
        if changes:
            # The rows being changed are locked (select_for_update since the read).
            cursor.execute(
                _UPDATE_SQL,
                [
                    source,
                    user_id,
                    now,
                    _array(loaded.existing[(w.kpi_id, w.period_id)].pk for w in changes),
                    _array(w.value for w in changes),
                    _text_array(w.note for w in changes),
                    _array(w.version for w in changes),
                    _text_array(signoff[(w.kpi_id, w.period_id)].status for w in changes),
                    _array(signoff[(w.kpi_id, w.period_id)].confirmed for w in changes),
                    _array(
                        str(signoff[(w.kpi_id, w.period_id)].keeps_review).lower() for w in changes
                    ),
                    org.pk,
                    "changed",
                ],
            )
            if cursor.rowcount != len(changes):
                raise RuntimeError("locked actuals were not updated")
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")


def _array(numbers) -> str:
    """A PostgreSQL array literal of integers or Decimals (None: NULL), sent as one text
    parameter: PostgreSQL reads it far faster than an ARRAY[...] of 50,000 expressions."""
    return "{" + ",".join("NULL" if n is None else str(n) for n in numbers) + "}"


def _text_array(texts) -> str:
    """A PostgreSQL array literal of texts, each quoted (backslash and quote escaped)."""
    return (
        "{" + ",".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in texts) + "}"
    )


def _write_rows(org, by, source, now, entries, loaded: _Loaded, creates, changes, signoff) -> None:
    """Databases without triggers (the SQLite demo): bulk writes, history by hand."""

    def row(write) -> Actual:
        kpi = loaded.kpis[write.kpi_id]
        state = signoff[(write.kpi_id, write.period_id)]
        kept = loaded.existing.get((write.kpi_id, write.period_id)) if state.keeps_review else None
        return Actual(
            status=state.status,
            confirmed_value=state.confirmed,
            reviewed_by_id=getattr(kept, "reviewed_by_id", None),
            reviewed_at=getattr(kept, "reviewed_at", None),
            review_reason=getattr(kept, "review_reason", ""),
            organization_id=org.pk,
            kpi=kpi,
            period=loaded.periods[write.period_id],
            department_id=kpi.department_id,
            value=write.value,
            note=write.note,
            entered_by=by,
            entered_at=now,
            source=source,
            version=write.version,
        )

    new_rows = [row(w) for w in creates]
    changed_rows = []
    for write in changes:
        changed = row(write)
        changed.pk = loaded.existing[(write.kpi_id, write.period_id)].pk
        changed_rows.append(changed)
    try:
        with transaction.atomic():
            created = Actual.objects.bulk_create(new_rows, batch_size=2000)
    except IntegrityError as exc:
        conflicts = _created_meanwhile(org, creates, entries)
        if not conflicts:  # another constraint failed: let it surface
            raise
        raise ActualsRefused({}, conflicts) from exc
    Actual.objects.bulk_create(
        changed_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["organization", "kpi", "period"],
        update_fields=[
            "value",
            "note",
            "entered_by",
            "entered_at",
            "source",
            "version",
            "status",
            "confirmed_value",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
        ],
    )
    record_history_without_triggers(
        org, [a.pk for a in created if a.pk] + [a.pk for a in changed_rows]
    )


def _created_meanwhile(org, writes, entries) -> list[Conflict]:
    """The actuals another request created between our read and our write of `writes`."""
    by_key = {(e.kpi_id, e.period_id): e for e in entries}
    keys = {(w.kpi_id, w.period_id) for w in writes}
    theirs = Actual.objects.for_org(org).filter(
        kpi_id__in={kpi for kpi, __ in keys}, period_id__in={period for __, period in keys}
    )
    return _conflicts(
        org,
        [(by_key[(a.kpi_id, a.period_id)], a) for a in theirs if (a.kpi_id, a.period_id) in keys],
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
        recalculation_mark(org=org, periods=[period], departments=[kpi.department_id])
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
    record_history_without_triggers(org, [row.pk])
    recalculation_mark(org=org, periods=[period], departments=[kpi.department_id])
    return row
