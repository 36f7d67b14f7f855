"""The checks of actuals_save as a table: plain facts in, field errors out. No database."""

from decimal import Decimal

import pytest

from metrics.scoring import KpiRule
from metrics.services.actuals_check import (
    ActualInput,
    CurrentFacts,
    FieldError,
    KpiFacts,
    PeriodFacts,
    actuals_check,
)

D = Decimal

SALES = KpiFacts(
    pk=1,
    department_id=10,
    department_label="Sales",
    is_active=True,
    typed=True,
    frequency="month",
    frequency_label="month",
    unit="currency",
    rule=KpiRule("higher_is_better", D(100), D(0)),  # 60 scores 60: red under amber 80
)
QUARTERLY = KpiFacts(
    **{**SALES.__dict__, "pk": 2, "frequency": "quarter", "frequency_label": "quarter"}
)
INACTIVE = KpiFacts(**{**SALES.__dict__, "pk": 3, "is_active": False})
COMPUTED = KpiFacts(**{**SALES.__dict__, "pk": 4, "typed": False})
OTHER_DEPARTMENT = KpiFacts(
    **{**SALES.__dict__, "pk": 5, "department_id": 20, "department_label": "R&D"}
)
UNSCORED = KpiFacts(**{**SALES.__dict__, "pk": 6, "rule": None})
COUNT = KpiFacts(**{**SALES.__dict__, "pk": 7, "unit": "count"})

JAN = PeriodFacts(pk=100, kind="month", kind_label="month", label="2026-01", is_locked=False)
LOCKED = PeriodFacts(pk=101, kind="month", kind_label="month", label="2025-12", is_locked=True)

KPIS = {k.pk: k for k in (SALES, QUARTERLY, INACTIVE, COMPUTED, OTHER_DEPARTMENT, UNSCORED, COUNT)}
PERIODS = {p.pk: p for p in (JAN, LOCKED)}
STORED = {(SALES.pk, JAN.pk): CurrentFacts(value=D(120), note="", version=3)}
ALLOWED = {10: True, 20: False}


def entry(kpi=SALES.pk, period=JAN.pk, value="120", note="", version=None, ref="r1"):
    return ActualInput(
        kpi_id=kpi, period_id=period, value=value, note=note, version=version, ref=ref
    )


def check(entries, require_note_for_red=True):
    return actuals_check(
        entries,
        kpis=KPIS,
        periods=PERIODS,
        current=STORED,
        allowed=ALLOWED,
        amber_line=D(80),
        require_note_for_red=require_note_for_red,
    )


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([entry(kpi=999, value="1")], [("kpi", "Unknown KPI.")]),
        ([entry(kpi="abc", value="1")], [("kpi", "Unknown KPI.")]),
        ([entry(period=999, value="1")], [("period", "Unknown period.")]),
        (
            [entry(kpi=999, period=999)],
            [("kpi", "Unknown KPI."), ("period", "Unknown period.")],
        ),
        (
            [entry(kpi=COUNT.pk, value="100"), entry(kpi=COUNT.pk, value="90", ref="r2")],
            [("kpi", "This KPI and period are listed twice.")],
        ),
        ([entry(kpi=OTHER_DEPARTMENT.pk)], [("kpi", "You may not enter actuals of R&D.")]),
        (
            [entry(period=LOCKED.pk)],
            [("period", "2025-12 is locked: its actuals cannot change (HR can reopen it).")],
        ),
        ([entry(kpi=INACTIVE.pk)], [("kpi", "This KPI is inactive.")]),
        (
            [entry(kpi=COMPUTED.pk)],
            [("value", "This value is computed by PerfHub and cannot be typed.")],
        ),
        (
            [entry(kpi=QUARTERLY.pk)],
            [("period", "This KPI is entered per quarter, not per month.")],
        ),
        ([entry(kpi=COUNT.pk, value="-1")], [("value", None)]),  # parse_value's own message
        ([entry(kpi=COUNT.pk, value="abc")], [("value", None)]),
        ([entry(kpi=COUNT.pk, value="")], [("value", "Enter a value.")]),
        ([entry(kpi=COUNT.pk, value=None)], [("value", "Enter a value.")]),
        ([entry(kpi=COUNT.pk, note="x" * 2001)], [("note", "At most 2000 characters.")]),
        (
            [entry(kpi=COUNT.pk, note="a\x00b")],
            [
                (
                    "note",
                    "The note contains invisible control characters (such as NUL): remove them.",
                )
            ],
        ),
        (
            [entry(kpi=COUNT.pk, value="60")],
            [
                (
                    "note",
                    "Add a note: this value scores 60.0, below the amber line (80). "
                    "Say what happened and what is being done.",
                )
            ],
        ),
    ],
    ids=[
        "unknown-kpi",
        "kpi-not-a-number",
        "unknown-period",
        "unknown-both",
        "listed-twice",
        "forbidden",
        "locked",
        "inactive",
        "computed",
        "wrong-frequency",
        "negative-count",
        "not-a-number",
        "empty",
        "missing",
        "note-too-long",
        "control-characters",
        "red-without-note",
    ],
)
def test_each_refusal_names_the_field_and_the_reason(entries, expected):
    checked = check(entries)
    assert [e.field for e in checked.errors] == [field for field, _message in expected]
    for error, (_field, message) in zip(checked.errors, expected, strict=True):
        assert error.message == (message or error.message) and error.message
    # the refused entry is never written (of the pair listed twice, the first is)
    assert [w.index for w in checked.writes] == ([0] if len(entries) > 1 else [])
    assert checked.stale == []


def test_the_first_forbidden_department_is_named_for_a_403():
    checked = check([entry(kpi=COUNT.pk), entry(kpi=OTHER_DEPARTMENT.pk, ref="r2")])
    assert checked.forbidden == "You may not enter actuals of R&D."
    assert checked.errors == [FieldError("r2", "kpi", "You may not enter actuals of R&D.")]
    assert check([entry(kpi=COUNT.pk)]).forbidden is None


def test_a_department_missing_from_allowed_is_forbidden():
    checked = actuals_check(
        [entry(kpi=COUNT.pk)],
        kpis=KPIS,
        periods=PERIODS,
        current={},
        allowed={},
        amber_line=D(80),
    )
    assert checked.forbidden is not None


def test_errors_carry_the_entry_ref_and_keep_entry_order():
    checked = check([entry(kpi=999, ref="B2"), entry(kpi=INACTIVE.pk, ref="B3")])
    assert [(e.ref, e.field) for e in checked.errors] == [("B2", "kpi"), ("B3", "kpi")]


@pytest.mark.parametrize(
    ("version", "value", "note", "stale", "unchanged"),
    [
        (None, "130", "", [0], 0),  # read before it existed
        (2, "130", "", [0], 0),  # read at an older version
        (3, "120", "", [], 1),  # same value and note: nothing to write
        (3, "120", "  ", [], 1),  # notes are compared stripped
        (None, "120", "", [], 1),  # equal to what is stored: unchanged, whatever the version
        (2, "120", "", [], 1),  # a file uploaded again: equal rows are no conflict
        (2, "120", "why", [0], 0),  # an old version changing the note: a conflict
        (None, "120.5", "", [0], 0),  # an old version changing the value: a conflict
    ],
)
def test_a_stored_actual_needs_its_version_and_a_change(version, value, note, stale, unchanged):
    checked = check([entry(version=version, value=value, note=note)])
    assert checked.errors == []
    assert checked.stale == stale
    assert checked.unchanged == unchanged
    assert checked.writes == []


def test_accepted_entries_become_writes_with_their_next_version():
    checked = check(
        [
            entry(version=3, value="1,300", note=" better "),
            entry(kpi=COUNT.pk, value="100", ref="r2"),
        ]
    )
    assert checked.errors == [] and checked.stale == [] and checked.forbidden is None
    update, create = checked.writes
    assert (update.index, update.value, update.note, update.version, update.creates) == (
        0,
        D(1300),
        "better",
        4,
        False,
    )
    assert (create.index, create.kpi_id, create.period_id, create.version, create.creates) == (
        1,
        COUNT.pk,
        JAN.pk,
        1,
        True,
    )


@pytest.mark.parametrize(
    ("kpi", "value", "note", "require"),
    [
        (COUNT.pk, "60", "Supplier strike.", True),  # red with a note
        (COUNT.pk, "60", "", False),  # imports may skip the note
        (COUNT.pk, "80", "", True),  # exactly the amber line: amber
        (UNSCORED.pk, "1", "", True),  # no rule: no score, no note needed
    ],
)
def test_a_note_is_needed_only_for_a_red_score(kpi, value, note, require):
    checked = check([entry(kpi=kpi, value=value, note=note)], require_note_for_red=require)
    assert checked.errors == []
    assert len(checked.writes) == 1


def test_a_rule_that_cannot_be_scored_asks_for_no_note():
    broken = KpiFacts(**{**COUNT.__dict__, "pk": 8, "rule": KpiRule("higher_is_better", D(0))})
    checked = actuals_check(
        [entry(kpi=8, value="0")],
        kpis={8: broken},
        periods=PERIODS,
        current={},
        allowed=ALLOWED,
        amber_line=D(80),
    )
    assert checked.errors == [] and len(checked.writes) == 1
