"""Claimed recalculation marks grouped into the runs of the roll-up (scorecards.rollup).

A mark is a (period, department) pair - department None: the whole organization in that
period. A period with a mark that names no department is recomputed whole; every other
marked period is recomputed for exactly its marked departments. All of those go into one
run (one transaction): its statements are narrowed to the marked (period, department)
pairs, however many periods and departments a burst of saves has marked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mark:
    """A claimed PendingRecalculation row, at the version it was claimed."""

    id: int
    version: int
    period_id: int
    department_id: int | None


@dataclass(frozen=True)
class Group:
    """One run of the roll-up: `periods`, and `departments` in them (None: every
    department); `pairs`, when not None, the only (period, department) pairs to recompute
    (else every department of `departments` in every period of `periods`); the claimed
    `marks` of those periods."""

    departments: set[int] | None
    periods: list[int]
    pairs: frozenset[tuple[int, int]] | None
    marks: list[Mark]


def by_scope(marks: list[Mark]) -> list[Group]:
    """At most two runs: the periods marked for the whole organization, then every other
    marked period with its marked departments."""
    whole: set[int] = {m.period_id for m in marks if m.department_id is None}
    pairs = frozenset(
        (m.period_id, m.department_id)
        for m in marks
        if m.department_id is not None and m.period_id not in whole
    )
    groups: list[Group] = []
    if whole:
        groups.append(Group(None, sorted(whole), None, [m for m in marks if m.period_id in whole]))
    if pairs:
        periods = sorted({p for p, _d in pairs})
        departments = {d for _p, d in pairs}
        rectangle = len(pairs) == len(periods) * len(departments)
        groups.append(
            Group(
                departments,
                periods,
                None if rectangle else pairs,
                [m for m in marks if m.period_id not in whole],
            )
        )
    return groups
