"""Claimed recalculation marks grouped into the runs of the roll-up (scorecards.rollup).

A mark is a (period, department) pair - department None: the whole organization in that
period. Each period is recomputed for the union of its marked departments, or whole when
one of its marks names none; periods with the same set of departments share one run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mark:
    """A claimed PendingRecalculation row, at the version it was claimed."""

    id: int
    version: int
    period_id: int
    department_id: int | None


Group = tuple[set[int] | None, list[int], list[Mark]]


def by_scope(marks: list[Mark]) -> list[Group]:
    """(departments or None, period ids, the marks of those periods), the whole-organization
    group first, the others in order of their first period."""
    scope: dict[int, frozenset[int] | None] = {}
    for m in marks:
        current = scope.get(m.period_id, frozenset())
        if m.department_id is None or current is None:
            scope[m.period_id] = None
        else:
            scope[m.period_id] = current | {m.department_id}
    periods_of: dict[frozenset[int] | None, list[int]] = {}
    for pid in sorted(scope):
        periods_of.setdefault(scope[pid], []).append(pid)
    groups: list[Group] = []
    for departments, period_ids in sorted(
        periods_of.items(), key=lambda item: (item[0] is not None, item[1][0])
    ):
        wanted = set(period_ids)
        groups.append(
            (
                None if departments is None else set(departments),
                period_ids,
                [m for m in marks if m.period_id in wanted],
            )
        )
    return groups
