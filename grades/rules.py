"""The rules of SPEC §9 as pure functions: a grade scale, the grade a score earns, the
guideline shares and whether a group of departments meets them. No Django, no database:
table-driven tests (tests/grades/test_rules.py).

- A scale is ordered from the best grade. Each grade but the last has the lowest score
  that earns it, strictly decreasing; the last has none (every score below).
- Computed grade: the first grade whose lowest score ≤ the score; no score, no grade.
- Shares count the graded departments of a group (n). A maximum of p % allows
  max(1, floor(p·n/100 + 0.5)) departments at that grade; a minimum of p % requires
  floor(p·n/100).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

MAX = "max"
MIN = "min"


@dataclass(frozen=True)
class Band:
    """One grade of a scale: its label, the lowest score that earns it (None for the last),
    its coefficient and its guideline share (a maximum or a minimum %, or none)."""

    label: str
    lowest: Decimal | None
    coefficient: Decimal | None  # None only in a scale refused (scale_errors)
    share_kind: str = ""  # MAX, MIN or ""
    share_percent: Decimal | None = None


DEFAULT_SCALE: tuple[Band, ...] = (
    Band("S", Decimal(110), Decimal("1.3"), MAX, Decimal(10)),
    Band("A", Decimal(100), Decimal("1.15"), MAX, Decimal(20)),
    Band("B", Decimal(85), Decimal("1.0")),
    Band("C", Decimal(70), Decimal("0.8")),
    Band("D", None, Decimal("0.5"), MIN, Decimal(5)),
)


@dataclass(frozen=True)
class ScaleError:
    """What is wrong with a scale: the grade's position (None: the scale as a whole), the
    field and a message code (grades.messages turns it into words)."""

    position: int | None
    field: str
    code: str


def scale_errors(bands: Sequence[Band]) -> list[ScaleError]:
    """Every reason the scale cannot be used; empty when it can."""
    errors: list[ScaleError] = []
    if len(bands) < 2:
        return [ScaleError(None, "bands", "too_few")]
    seen: set[str] = set()
    previous: Decimal | None = None
    for i, band in enumerate(bands):
        last = i == len(bands) - 1
        label = band.label.strip()
        if not label:
            errors.append(ScaleError(i, "label", "required"))
        elif label.casefold() in seen:
            errors.append(ScaleError(i, "label", "duplicate"))
        seen.add(label.casefold())
        if last and band.lowest is not None:
            errors.append(ScaleError(i, "lowest", "last_has_none"))
        elif not last and band.lowest is None:
            errors.append(ScaleError(i, "lowest", "required"))
        elif (
            not last
            and previous is not None
            and band.lowest is not None
            and band.lowest >= previous
        ):
            errors.append(ScaleError(i, "lowest", "not_decreasing"))
        if band.lowest is not None:
            previous = band.lowest
        if band.coefficient is None:
            errors.append(ScaleError(i, "coefficient", "required"))
        elif band.coefficient < 0:
            errors.append(ScaleError(i, "coefficient", "negative"))
        if band.share_kind not in ("", MAX, MIN):
            errors.append(ScaleError(i, "share_kind", "invalid"))
        elif band.share_kind and band.share_percent is None:
            errors.append(ScaleError(i, "share_percent", "required"))
        elif band.share_percent is not None and not band.share_kind:
            errors.append(ScaleError(i, "share_kind", "required"))
        elif band.share_percent is not None and not (0 < band.share_percent <= 100):
            errors.append(ScaleError(i, "share_percent", "range"))
    return errors


def computed_grade(score: Decimal | None, bands: Sequence[Band]) -> str | None:
    """The first grade whose lowest score is at most the score (the last grade takes every
    score below); None without a score."""
    if score is None or not bands:
        return None
    for band in bands:
        if band.lowest is None or band.lowest <= score:
            return band.label
    return bands[-1].label


def allowed_at_most(percent: Decimal, n: int) -> int:
    """A maximum of `percent` % of n departments: max(1, floor(p·n/100 + 0.5))."""
    return max(1, math.floor(Decimal(percent) * n / 100 + Decimal("0.5")))


def required_at_least(percent: Decimal, n: int) -> int:
    """A minimum of `percent` % of n departments: floor(p·n/100)."""
    return math.floor(Decimal(percent) * n / 100)


@dataclass(frozen=True)
class Limit:
    """One guideline of one group: at most `bound` (MAX) or at least `bound` (MIN)
    departments at `label`; `count` have it."""

    label: str
    kind: str
    percent: Decimal
    bound: int
    count: int

    @property
    def met(self) -> bool:
        return self.count <= self.bound if self.kind == MAX else self.count >= self.bound


@dataclass(frozen=True)
class GroupCheck:
    """A group's distribution against the guideline: n graded departments, how many at
    each grade (every grade of the scale, zeros included) and its limits."""

    group: str
    n: int
    counts: tuple[tuple[str, int], ...]
    limits: tuple[Limit, ...]

    @property
    def met(self) -> bool:
        return all(limit.met for limit in self.limits)

    @property
    def breaches(self) -> tuple[Limit, ...]:
        return tuple(limit for limit in self.limits if not limit.met)


def check_groups(
    grades: Mapping[int, str | None],
    groups: Mapping[int, str],
    bands: Sequence[Band],
    group_order: Iterable[str] = (),
) -> list[GroupCheck]:
    """For each group (in `group_order`, then any other by name), its distribution of the
    final grades given (department id → grade; None: not graded, left out of n) against
    the scale's guideline shares. A group with no graded department has no limit."""
    members: dict[str, list[str]] = {g: [] for g in group_order}
    for dept, grade in grades.items():
        group = groups[dept]
        members.setdefault(group, [])
        if grade is not None:
            members[group].append(grade)
    checks = []
    for group, graded in members.items():
        n = len(graded)
        counted = Counter(graded)
        limits = []
        if n:
            for band in bands:
                if not band.share_kind or band.share_percent is None:
                    continue
                bound = (
                    allowed_at_most(band.share_percent, n)
                    if band.share_kind == MAX
                    else required_at_least(band.share_percent, n)
                )
                limits.append(
                    Limit(
                        band.label, band.share_kind, band.share_percent, bound, counted[band.label]
                    )
                )
        checks.append(
            GroupCheck(
                group=group,
                n=n,
                counts=tuple((band.label, counted[band.label]) for band in bands),
                limits=tuple(limits),
            )
        )
    return checks


def coefficient_of(label: str | None, bands: Sequence[Band]) -> Decimal | None:
    for band in bands:
        if band.label == label:
            return band.coefficient
    return None
