"""The checks of `actuals_save` (SPEC §2, §6) as one pure function over plain values.

`actuals_save` (metrics.services.actuals) reads what the entries need - KPIs, periods, the
current actuals (locked), the caller's permission per department - into the plain
dataclasses of this module, asks `actuals_check`, and writes what it accepts. No database,
no Django model, no clock here: the same entries and facts always give the same answer, and
tests/metrics/test_actuals_check.py checks every refusal from a table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .. import scoring
from ..values import ValueRefused, parse_value

__all__ = [
    "CONTROL_CHARACTERS",
    "NOTE_MAX_LENGTH",
    "ActualInput",
    "Checked",
    "CurrentFacts",
    "FieldError",
    "KpiFacts",
    "PeriodFacts",
    "Write",
    "actuals_check",
]

# Refused in notes: PostgreSQL cannot store NUL, and an .xlsx cannot hold the others.
# Characters PostgreSQL refuses (NUL) or nobody means to type in a text: refused with a
# message wherever people write text (notes here, reviews and feedback in reviews.services).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NOTE_MAX_LENGTH = 2000


@dataclass
class ActualInput:
    """One actual to save, as a page, a spreadsheet row or the API sent it."""

    kpi_id: int
    period_id: int
    value: object
    note: str = ""
    version: int | None = None
    ref: str = ""  # how the caller names this entry in errors (cell, row number)


@dataclass(frozen=True)
class KpiFacts:
    """What the checks need of a KPI. `rule` scores it in a period of its own entry
    frequency (None when such a value is not scored: weight 0, inactive, no target)."""

    pk: int
    department_id: int
    department_label: str
    is_active: bool
    typed: bool
    frequency: str
    frequency_label: str  # "month", "季度": how the message names the entry frequency
    unit: str
    rule: scoring.KpiRule | None = None
    name: str = ""  # the indicator's name, as bound messages say it
    value_min: Decimal | None = None  # the indicator's bounds (its own, else the unit's)
    value_max: Decimal | None = None


@dataclass(frozen=True)
class PeriodFacts:
    pk: int
    kind: str
    kind_label: str
    label: str
    is_locked: bool


@dataclass(frozen=True)
class CurrentFacts:
    """The stored actual of a KPI and period, as read (and locked) before the check."""

    value: Decimal
    note: str
    version: int


@dataclass(frozen=True)
class FieldError:
    """A refused entry: its `ref`, the field (kpi, period, value, note) and why."""

    ref: str
    field: str
    message: str


@dataclass(frozen=True)
class Write:
    """An accepted entry: the value and note to store, and the version it gets. `index` is
    the entry's position in the list checked."""

    index: int
    kpi_id: int
    period_id: int
    value: Decimal
    note: str
    version: int
    creates: bool


@dataclass
class Checked:
    """The answer of `actuals_check`. Nothing may be written unless `errors`, `stale` and
    `forbidden` are all empty.

    - `errors`: the refusals, in entry order;
    - `stale`: positions of the entries that would change a stored actual read at another
      version (someone else changed it since);
    - `forbidden`: the message for the first entry of a department the caller may not
      enter (also listed in `errors` under "kpi": the caller chooses 403 or a row error);
    - `unchanged`: entries equal to what is stored; `writes`: what to store."""

    errors: list[FieldError] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    forbidden: str | None = None
    unchanged: int = 0
    writes: list[Write] = field(default_factory=list)


def actuals_check(
    entries: Sequence[ActualInput],
    *,
    kpis: Mapping[int, KpiFacts],
    periods: Mapping[int, PeriodFacts],
    current: Mapping[tuple[int, int], CurrentFacts],
    allowed: Mapping[int, bool],
    amber_line: Decimal,
    require_note_for_red: bool = True,
    period_rules: Mapping[tuple[int, int], scoring.KpiRule | None] | None = None,
) -> Checked:
    """Check every entry against the facts read for them (SPEC §2, §6).

    `allowed` maps a department id to the caller's permission to enter its actuals. Each
    entry is refused for its first problem, in this order: unknown KPI and/or period; the
    same KPI and period listed twice; a department the caller may not enter; a locked
    period; an inactive KPI; a computed indicator; a period of another kind than the KPI's
    frequency; a value that does not parse (or its absence); a note too long or holding
    control characters. An entry equal (value and note) to the stored actual is unchanged,
    whatever its version; one that changes a stored actual must carry its version (else it
    is stale: someone else changed it since it was read); a new or changed value that
    scores red needs a note, with `require_note_for_red` - scored by the KPI's `rule`, or by
    the rule of `period_rules` for a (KPI, period) that has a target of its own."""
    out = Checked()
    period_rules = period_rules or {}
    seen: set[tuple[int, int]] = set()

    def refuse(entry: ActualInput, field_name: str, message: str) -> None:
        out.errors.append(FieldError(entry.ref, field_name, str(message)))

    for index, entry in enumerate(entries):
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
        if not allowed.get(kpi.department_id, False):
            message = _("You may not enter actuals of %s.") % kpi.department_label
            if out.forbidden is None:
                out.forbidden = message
            refuse(entry, "kpi", message)
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
        if not kpi.typed:
            refuse(entry, "value", _("This value is computed by PerfHub and cannot be typed."))
            continue
        if kpi.frequency != period.kind:
            refuse(
                entry,
                "period",
                _("This KPI is entered per %(kind)s, not per %(period_kind)s.")
                % {"kind": kpi.frequency_label, "period_kind": period.kind_label},
            )
            continue
        try:
            value = parse_value(
                entry.value, kpi.unit, low=kpi.value_min, high=kpi.value_max, name=kpi.name
            )
        except ValueRefused as exc:
            refuse(entry, "value", exc.message)
            continue
        if value is None:
            refuse(entry, "value", _("Enter a value."))
            continue
        note = (entry.note or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            refuse(entry, "note", _("At most 2000 characters."))
            continue
        if CONTROL_CHARACTERS.search(note):
            refuse(
                entry,
                "note",
                _("The note contains invisible control characters (such as NUL): remove them."),
            )
            continue
        stored = current.get(key)
        if stored is not None:
            # Equal to what is stored: nothing to write and nothing lost, whatever the
            # version it was read at (a file uploaded twice changes nothing, quietly).
            if stored.value == value and stored.note == note:
                out.unchanged += 1
                continue
            # A change to a value someone else changed since it was read: a conflict.
            if entry.version != stored.version:
                out.stale.append(index)
                continue
        if require_note_for_red and not note:
            score = preview_score(period_rules.get(key, kpi.rule), value)
            if score is not None and scoring.kpi_status(score, amber_line) == "red":
                refuse(
                    entry,
                    "note",
                    _(
                        "Add a note: this value scores %(score)s, below the amber line "
                        "(%(line)s). Say what happened and what is being done."
                    )
                    % {
                        "score": scoring.round_display(score),
                        "line": scoring.round_display(amber_line, 0),
                    },
                )
                continue
        out.writes.append(
            Write(
                index=index,
                kpi_id=kpi.pk,
                period_id=period.pk,
                value=value,
                note=note,
                version=1 if stored is None else stored.version + 1,
                creates=stored is None,
            )
        )
    return out


def preview_score(rule: scoring.KpiRule | None, value: Decimal) -> Decimal | None:
    """The score of `value` under the rule, None when it is not scored (no rule, or target
    settings that cannot be scored)."""
    if rule is None:
        return None
    try:
        return scoring.kpi_score(rule, value)
    except (scoring.TargetError, ValueError):
        return None
