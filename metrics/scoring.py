"""The scoring math of SPEC §3-§4 as pure functions over ``Decimal``.

No Django, no clock, no settings: every input arrives as an argument, so the same numbers
always give the same score, in a page, a Celery job or a test.

Floats are refused on purpose: a binary float cannot hold ``0.1`` and would make scores
depend on how a value travelled. Integers and numeric strings are accepted and converted.

Sums of products (department score, roll-ups, indices) are accumulated exactly and divided
once, so the result does not depend on the order of the KPIs or departments.

This is the reference. The same rule lives in two more forms, each tested against it:
``metrics.scoring_sql`` builds the SQL expressions the roll-up computes every stored score
with (tests/metrics/test_scoring_sql.py), and ``metrics.scoring_rules`` turns a KPI's
settings into a ``KpiRule`` (``rule_for``, ``stated_rule``).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "HUNDRED",
    "ZERO",
    "Aggregation",
    "Direction",
    "KpiRule",
    "MissingPolicy",
    "PeriodKind",
    "PeriodTarget",
    "ScoredKpi",
    "Status",
    "TargetError",
    "aggregate",
    "department_score",
    "effective_threshold",
    "feedback_satisfaction",
    "goal_progress",
    "kpi_score",
    "kpi_status",
    "months_in",
    "org_indices",
    "rolled_up_score",
    "round_display",
    "rule_for_period",
    "rule_with_period_targets",
    "scale_target",
    "validate_rule",
    "weighted_mean",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
DEFAULT_CAP = Decimal(120)


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    WITHIN_RANGE = "within_range"


class Status(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"


class Aggregation(StrEnum):
    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    MIN = "min"
    MAX = "max"
    FORMULA = "formula"


class SignOff(StrEnum):
    """Where an actual stands in its KPI's sign-off (SPEC §3, "values that need
    confirmation"): NONE for a KPI that needs none (or a value stored before it did)."""

    NONE = "none"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def counted_value(
    value: Decimal, status: SignOff | str, confirmed: Decimal | None
) -> Decimal | None:
    """The value an actual counts with in every score, index and goal (SPEC §3-§4).

    A value that needs no confirmation, or is confirmed, counts as entered. A pending or
    rejected one counts with the value confirmed before it (`confirmed`), and not at all
    when none was: the month then has no value, exactly as if nothing had been entered."""
    if SignOff(status) in (SignOff.PENDING, SignOff.REJECTED):
        return confirmed
    return value


def counted_values(
    entries: Iterable[tuple[Decimal, SignOff | str, Decimal | None]],
) -> list[Decimal]:
    """The values that count among (value, status, confirmed) entries, in order."""
    counted = (counted_value(v, s, c) for v, s, c in entries)
    return [v for v in counted if v is not None]


class MissingPolicy(StrEnum):
    EXCLUDE = "exclude"
    ZERO = "zero"


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}


# Validation messages. Module-level constants so a Django layer can map each one to a
# translated string (``{scoring.MSG_TARGET_REQUIRED: _("...")}``) without parsing text.
MSG_TARGET_REQUIRED = "Set a target for this KPI."
MSG_NOT_FINITE = "Enter a finite number."
MSG_THRESHOLD_EQUALS_TARGET = "The threshold (the value that scores 0) must differ from the target."
MSG_THRESHOLD_NOT_BELOW_TARGET = (
    "For a higher-is-better KPI the threshold (the value that scores 0) must be below the target."
)
MSG_THRESHOLD_NOT_ABOVE_TARGET = (
    "For a lower-is-better KPI the threshold (the value that scores 0) must be above the target."
)
MSG_THRESHOLD_REQUIRED_HIGHER = (
    "Set a threshold (the value that scores 0): the default of 0 only works for a "
    "higher-is-better target above 0."
)
MSG_THRESHOLD_REQUIRED_LOWER = (
    "Set a threshold (the value that scores 0): the default of twice the target only works "
    "for a lower-is-better target above 0."
)
MSG_TARGET_MAX_REQUIRED = "Set the upper end of the target range."
MSG_TARGET_MAX_BELOW_TARGET = "The upper end of the target range must not be below the target."
MSG_RANGE_THRESHOLD_REQUIRED = (
    "Set a threshold: the distance outside the target range at which the score reaches 0."
)
MSG_RANGE_THRESHOLD_NOT_POSITIVE = (
    "The threshold of a within-range KPI is a distance and must be greater than 0."
)
MSG_CAP_TOO_LOW = "The cap (the highest score) must be at least 100."


class TargetError(ValueError):
    """A KPI's target settings cannot be scored.

    ``field`` names the offending setting (``"target"``, ``"threshold"``, ``"target_max"``
    or ``"cap"``) so a form can attach the message to it; ``message`` is one of the
    ``MSG_*`` constants of this module.
    """

    FIELDS = ("target", "threshold", "target_max", "cap")

    def __init__(self, field: str, message: str) -> None:
        if field not in self.FIELDS:
            raise ValueError(f"unknown target field {field!r}")
        super().__init__(message)
        self.field = field
        self.message = message


def _to_decimal(value: object, name: str) -> Decimal:
    # bool is an int subclass; True as a target is a bug, not 1.
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except decimal.InvalidOperation:
            raise ValueError(f"{name} is not a number: {value!r}") from None
    raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")


def _to_optional_decimal(value: object, name: str) -> Decimal | None:
    return None if value is None else _to_decimal(value, name)


def _finite(value: Decimal, name: str) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def _exact_context() -> decimal.Context:
    # Addition and multiplication are exact at maximum precision, so sums of products do not
    # depend on the order of their terms; only the final division rounds (default context).
    return decimal.Context(
        prec=decimal.MAX_PREC,
        Emax=decimal.MAX_EMAX,
        Emin=decimal.MIN_EMIN,
        traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
    )


def weighted_mean(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Weighted mean: the sum of weight * value over the pairs, divided by the sum of weights.

    Pairs of weight 0 take no part. ``None`` when no pair has a positive weight. Negative
    weights are refused (``ValueError``).
    """
    terms: list[tuple[Decimal, Decimal]] = []
    for weight, value in pairs:
        w = _finite(_to_decimal(weight, "weight"), "weight")
        if w < 0:
            raise ValueError(f"weight must not be negative, got {w}")
        if w == 0:
            continue
        terms.append((w, _finite(_to_decimal(value, "value"), "value")))
    if not terms:
        return None
    with decimal.localcontext(_exact_context()):
        numerator = sum((w * v for w, v in terms), ZERO)
        denominator = sum((w for w, _ in terms), ZERO)
    return numerator / denominator


# --- One KPI (SPEC §3) ---------------------------------------------------------------------


@dataclass(frozen=True)
class KpiRule:
    """A KPI's scoring settings: direction, target ``T``, threshold ``F`` (the value that
    scores 0; for ``within_range`` the distance outside the band that scores 0),
    ``target_max`` (upper end of the band, ``within_range`` only) and cap ``C``."""

    direction: Direction
    target: Decimal | None
    threshold: Decimal | None = None
    target_max: Decimal | None = None
    cap: Decimal = DEFAULT_CAP

    def __post_init__(self) -> None:
        # Accept the plain strings of Django TextChoices and ints; store canonical types.
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "target", _to_optional_decimal(self.target, "target"))
        object.__setattr__(self, "threshold", _to_optional_decimal(self.threshold, "threshold"))
        object.__setattr__(self, "target_max", _to_optional_decimal(self.target_max, "target_max"))
        object.__setattr__(self, "cap", _to_decimal(self.cap, "cap"))


def effective_threshold(rule: KpiRule) -> Decimal:
    """The threshold ``F`` actually used for scoring.

    - higher_is_better: the KPI's threshold, or 0 when none is set (a default that only
      makes sense for a target above 0, so it is required otherwise);
    - lower_is_better: the KPI's threshold, or twice the target when none is set (required
      when the target is 0, and when it is below 0, where 2T would lie below T);
    - within_range: the KPI's threshold (a distance), always required.

    Raises ``TargetError`` when the target is missing or the threshold is required but unset.
    """
    target = rule.target
    if target is None:
        raise TargetError("target", MSG_TARGET_REQUIRED)
    if rule.threshold is not None:
        return rule.threshold
    if rule.direction is Direction.HIGHER_IS_BETTER:
        if target <= 0:
            raise TargetError("threshold", MSG_THRESHOLD_REQUIRED_HIGHER)
        return ZERO
    if rule.direction is Direction.LOWER_IS_BETTER:
        if target <= 0:
            raise TargetError("threshold", MSG_THRESHOLD_REQUIRED_LOWER)
        return 2 * target
    raise TargetError("threshold", MSG_RANGE_THRESHOLD_REQUIRED)


def validate_rule(rule: KpiRule) -> None:
    """Refuse target settings that cannot be scored, raising ``TargetError``.

    Refused: a missing target; a non-finite number; a threshold equal to the target; a
    threshold on the wrong side of the target (higher_is_better: threshold must be below the
    target; lower_is_better: above it); for within_range a missing upper end, an upper end
    below the target, or a missing or non-positive threshold distance; a cap below 100.
    """
    for field in ("target", "threshold", "target_max", "cap"):
        value = getattr(rule, field)
        if value is not None and not value.is_finite():
            raise TargetError(field, MSG_NOT_FINITE)
    if rule.target is None:
        raise TargetError("target", MSG_TARGET_REQUIRED)
    if rule.direction is Direction.WITHIN_RANGE:
        _validate_range(rule, rule.target)
    else:
        _validate_threshold_side(rule, rule.target)
    if rule.cap < HUNDRED:
        raise TargetError("cap", MSG_CAP_TOO_LOW)


def _validate_range(rule: KpiRule, target: Decimal) -> None:
    if rule.target_max is None:
        raise TargetError("target_max", MSG_TARGET_MAX_REQUIRED)
    if rule.target_max < target:
        raise TargetError("target_max", MSG_TARGET_MAX_BELOW_TARGET)
    if rule.threshold is None:
        raise TargetError("threshold", MSG_RANGE_THRESHOLD_REQUIRED)
    if rule.threshold <= 0:
        raise TargetError("threshold", MSG_RANGE_THRESHOLD_NOT_POSITIVE)


def _validate_threshold_side(rule: KpiRule, target: Decimal) -> None:
    threshold = effective_threshold(rule)
    if threshold == target:
        raise TargetError("threshold", MSG_THRESHOLD_EQUALS_TARGET)
    if rule.direction is Direction.HIGHER_IS_BETTER and threshold > target:
        raise TargetError("threshold", MSG_THRESHOLD_NOT_BELOW_TARGET)
    if rule.direction is Direction.LOWER_IS_BETTER and threshold < target:
        raise TargetError("threshold", MSG_THRESHOLD_NOT_ABOVE_TARGET)


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    if value < low:
        return low
    if value > high:
        return high
    return value


def kpi_score(rule: KpiRule, actual: Decimal) -> Decimal:
    """Score of one actual ``A`` against the rule, unrounded.

    - higher_is_better: 100 * (A - F) / (T - F), clamped to [0, cap];
    - lower_is_better: 100 * (F - A) / (F - T), clamped to [0, cap];
    - within_range (band T … target_max): 100 inside the band; outside it
      100 * (1 - d / F), clamped to [0, 100], where d is the distance from A to the band.

    ``F`` is ``effective_threshold(rule)``. Raises ``TargetError`` for a rule that
    ``validate_rule`` refuses, ``ValueError`` for a non-finite actual.
    """
    validate_rule(rule)
    a = _finite(_to_decimal(actual, "actual"), "actual")
    target = rule.target
    assert target is not None  # validate_rule guarantees it
    if rule.direction is Direction.WITHIN_RANGE:
        upper = rule.target_max
        distance_to_zero = rule.threshold
        assert upper is not None and distance_to_zero is not None
        if a < target:
            d = target - a
        elif a > upper:
            d = a - upper
        else:
            return HUNDRED
        return _clamp(HUNDRED - HUNDRED * d / distance_to_zero, ZERO, HUNDRED)
    threshold = effective_threshold(rule)
    if rule.direction is Direction.HIGHER_IS_BETTER:
        raw = HUNDRED * (a - threshold) / (target - threshold)
    else:
        raw = HUNDRED * (threshold - a) / (threshold - target)
    return _clamp(raw, ZERO, rule.cap)


def kpi_status(score: Decimal | None, amber_line: Decimal) -> Status:
    """Traffic light of a KPI or department score.

    grey when there is no score; green when the score is at least 100; amber when it is at
    least the organization's amber line; red otherwise.
    """
    if score is None:
        return Status.GREY
    if score >= HUNDRED:
        return Status.GREEN
    if score >= amber_line:
        return Status.AMBER
    return Status.RED


# --- Department (SPEC §3) ------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredKpi:
    """One active KPI of a department in a period: its weight and its score (``None`` when
    it has no actual, or is not scored in that period)."""

    weight: Decimal
    score: Decimal | None


def department_score(
    items: Iterable[ScoredKpi], policy: MissingPolicy | str = MissingPolicy.EXCLUDE
) -> tuple[Decimal | None, Decimal]:
    """A department's ``(score, coverage)`` in a period.

    Only KPIs of weight above 0 take part. Coverage is the weight of the KPIs that have a
    score divided by the weight of all of them (a fraction from 0 to 1). Score is the
    weighted mean of the scores: with the ``exclude`` policy over the KPIs that have a
    score; with the ``zero`` policy over all of them, a missing score counting as 0.
    With no weighted KPI, or no score at all (under either policy), the result is
    ``(None, 0)``: the score is empty and the status grey.
    """
    policy = MissingPolicy(policy)
    weighted = [item for item in items if _check_weight(item.weight) > 0]
    scored = [item for item in weighted if item.score is not None]
    if not scored:
        return None, ZERO
    with decimal.localcontext(_exact_context()):
        total_weight = sum((item.weight for item in weighted), ZERO)
        scored_weight = sum((item.weight for item in scored), ZERO)
    coverage = scored_weight / total_weight
    counted = scored if policy is MissingPolicy.EXCLUDE else weighted
    score = weighted_mean(
        (item.weight, ZERO if item.score is None else item.score) for item in counted
    )
    return score, coverage


def _check_weight(weight: Decimal) -> Decimal:
    w = _finite(_to_decimal(weight, "weight"), "weight")
    if w < 0:
        raise ValueError(f"weight must not be negative, got {w}")
    return w


# --- Time (SPEC §4) ------------------------------------------------------------------------


def months_in(kind: PeriodKind | str) -> int:
    """Number of months in a period kind: month 1, quarter 3, year 12."""
    return _MONTHS[PeriodKind(kind)]


def aggregate(
    values_in_month_order: Sequence[Decimal | None], how: Aggregation | str
) -> Decimal | None:
    """A longer period's actual from its months' actuals, given in month order.

    Months without a value (``None``) are skipped. sum: the total; average: the total
    divided by the number of months with a value; last: the latest month with a value;
    min / max: the smallest / largest value. ``None`` when no month has a value.
    ``formula`` indicators are not aggregated but computed from their components'
    aggregated values (``metrics.formulas.evaluate``): asking for it raises ``ValueError``.
    """
    how = Aggregation(how)
    if how is Aggregation.FORMULA:
        raise ValueError("formula indicators are computed from their components, not aggregated")
    values = [
        _finite(_to_decimal(v, "value"), "value") for v in values_in_month_order if v is not None
    ]
    if not values:
        return None
    if how is Aggregation.LAST:
        return values[-1]
    if how is Aggregation.MIN:
        return min(values)
    if how is Aggregation.MAX:
        return max(values)
    with decimal.localcontext(_exact_context()):
        total = sum(values, ZERO)
    if how is Aggregation.SUM:
        return +total  # rounds to the caller's precision
    return total / len(values)


def scale_target(
    target: Decimal | None,
    aggregation: Aggregation | str,
    target_period_months: int,
    period_months: int,
) -> Decimal | None:
    """The target that applies to a period of ``period_months`` months, for a KPI whose
    target is stated for ``target_period_months`` months.

    ``sum`` indicators scale it by the number of months: target * period months / target
    period months (a quarterly 5,000,000 is 1,666,666.67 for a month and 20,000,000 for the
    year). Every other aggregation (including ``formula``: a ratio such as turnover does
    not scale) keeps the target for periods as long as the target period or longer, and
    gives ``None`` (not scored) for shorter ones. ``None`` target gives ``None``.
    """
    aggregation = Aggregation(aggregation)
    for name, months in (
        ("target_period_months", target_period_months),
        ("period_months", period_months),
    ):
        if isinstance(months, bool) or not isinstance(months, int) or months <= 0:
            raise ValueError(f"{name} must be a positive number of months, got {months!r}")
    if target is None:
        return None
    t = _finite(_to_decimal(target, "target"), "target")
    if aggregation is Aggregation.SUM:
        if period_months == target_period_months:
            return t
        return t * period_months / target_period_months
    if period_months >= target_period_months:
        return t
    return None


# --- Hierarchy, organization, goals (SPEC §4) ----------------------------------------------


def rolled_up_score(
    own: Decimal | None, children: Iterable[tuple[Decimal, Decimal | None]]
) -> Decimal | None:
    """A department's rolled-up score: the weighted mean of its own score (weight 1, when it
    has one) and its children's rolled-up scores (each with its weight in parent).

    Children without a score are skipped, as are children of weight 0. ``None`` when
    nothing remains.
    """
    pairs: list[tuple[Decimal, Decimal]] = []
    if own is not None:
        pairs.append((ONE, own))
    pairs.extend((weight, score) for weight, score in children if score is not None)
    return weighted_mean(pairs)


def _mean(scores: Iterable[Decimal | None]) -> Decimal | None:
    return weighted_mean((ONE, s) for s in scores if s is not None)


def org_indices(
    management_scores: Iterable[Decimal | None],
    business_scores: Iterable[Decimal | None],
    management_weight: Decimal,
) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
    """The organization's ``(management_index, business_index, company_index, balance_gap)``.

    Management index: the plain mean of the management departments' own scores (``None``
    entries, departments without a score, are skipped); business index likewise. Company
    index: m * management index + (1 - m) * business index, with m the management weight
    (0 to 1); when one side has no index, the company index is the other side's index.
    Balance gap: business index - management index, ``None`` unless both exist.
    """
    m = _finite(_to_decimal(management_weight, "management_weight"), "management_weight")
    if not ZERO <= m <= ONE:
        raise ValueError(f"management_weight must lie between 0 and 1, got {m}")
    management = _mean(management_scores)
    business = _mean(business_scores)
    if management is None or business is None:
        return management, business, management if business is None else business, None
    with decimal.localcontext(_exact_context()):
        company = m * management + (ONE - m) * business
        gap = business - management
    return management, business, +company, +gap


def goal_progress(items: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """A goal's progress: the weighted mean of its linked KPIs' scores in the goal's period,
    each with its contribution weight. KPIs without a score are skipped; ``None`` when none
    has one."""
    return weighted_mean((weight, score) for weight, score in items if score is not None)


RATING_MAX = 5


def feedback_satisfaction(feedback: Iterable[Sequence[int]]) -> Decimal | None:
    """The percentage a department's feedback in a period makes (internal service
    satisfaction of a management department, cooperation of a business department).

    Each feedback is the ratings (1 to 5) it gives on its criteria. Its rating is the
    average over its criteria; the department's average is the mean of those, one per
    rating department (a department asked on more criteria does not weigh more); the
    percentage is that average / 5 x 100, kept to 4 decimals (halves to even). A feedback
    without ratings is skipped; ``None`` when none is left. With one rating per feedback
    this is the formula of a single 1-5 rating: [[4], [5]] gives 90.
    """
    means = []
    for ratings in feedback:
        values = [int(r) for r in ratings]
        if any(not 1 <= r <= RATING_MAX for r in values):
            raise ValueError(f"ratings lie between 1 and {RATING_MAX}, got {values}")
        if values:
            means.append(Fraction(sum(values), len(values)))
    if not means:
        return None
    exact = sum(means, Fraction(0)) / len(means) / RATING_MAX * 100
    with decimal.localcontext(decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)):
        percent = Decimal(exact.numerator) / Decimal(exact.denominator)
        return percent.quantize(Decimal("0.0001"))


def round_display(x: Decimal | None, places: int = 1) -> Decimal | None:
    """``x`` rounded to ``places`` decimal places, halves away from zero (ROUND_HALF_UP),
    for display only; scores are stored and compared unrounded. ``None`` stays ``None``."""
    if x is None:
        return None
    value = _to_decimal(x, "x")
    if not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rule_for_period(
    *,
    direction: Direction | str,
    aggregation: Aggregation | str,
    target: Decimal | None,
    threshold: Decimal | None,
    target_max: Decimal | None,
    cap: Decimal,
    target_period_months: int,
    period_months: int,
) -> KpiRule | None:
    """The rule that scores a KPI in a period of ``period_months`` months, or ``None`` when
    the KPI is not scored in such a period (no target, or a non-``sum`` indicator in a period
    shorter than its target period).

    For ``sum`` indicators the target, an explicit threshold and the upper end of the band are
    all scaled by period months / target period months (SPEC §4); otherwise they are kept."""
    scaled = scale_target(target, aggregation, target_period_months, period_months)
    if scaled is None:
        return None
    factor = ONE
    if Aggregation(aggregation) is Aggregation.SUM and period_months != target_period_months:
        factor = Decimal(period_months) / Decimal(target_period_months)
    return KpiRule(
        direction=Direction(direction),
        target=scaled,
        threshold=None if threshold is None else threshold * factor,
        target_max=None if target_max is None else target_max * factor,
        cap=cap,
    )


@dataclass(frozen=True)
class PeriodTarget:
    """A KPI's own settings for one period (docs/scoring.md, "Targets per period"): its
    target, and optionally its threshold and the upper end of its band."""

    target: Decimal
    threshold: Decimal | None = None
    target_max: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", _to_decimal(self.target, "target"))
        object.__setattr__(self, "threshold", _to_optional_decimal(self.threshold, "threshold"))
        object.__setattr__(self, "target_max", _to_optional_decimal(self.target_max, "target_max"))


def _sum_if_all(values: Sequence[Decimal | None]) -> Decimal | None:
    """The sum of ``values`` when none is missing, else ``None``."""
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), ZERO)


def rule_with_period_targets(
    *,
    direction: Direction | str,
    aggregation: Aggregation | str,
    target: Decimal | None,
    threshold: Decimal | None,
    target_max: Decimal | None,
    cap: Decimal,
    target_period_months: int,
    period_months: int,
    own: PeriodTarget | None = None,
    parts: Sequence[PeriodTarget | None] = (),
) -> KpiRule | None:
    """The rule that scores a KPI in one period when periods may have targets of their own
    (SPEC §4, "Targets per period"). ``own`` is the period's own target; ``parts`` the own
    targets (``None`` where missing) of every entry period inside it (its months for a
    monthly KPI, its quarters for a quarterly one), empty for an entry period itself.

    - Where the KPI is not scored at all (no KPI target, or a non-``sum`` indicator in a
      period shorter than its target period: ``rule_for_period`` gives ``None``), nothing
      changes: ``None``.
    - The period's own target wins. Its own threshold and upper end win too; without them
      the KPI's threshold and upper end, scaled as ``rule_for_period`` scales them, apply
      (no threshold: the default of the direction, ``2T`` of the period's ``T`` for
      lower_is_better).
    - A ``sum`` indicator's longer period without its own target, when every entry period
      in it has one: the sum of their targets; the sum of their thresholds (and upper ends)
      when every one has one, else the KPI's scaled one.
    - Otherwise today's rule: ``rule_for_period``."""
    base = rule_for_period(
        direction=direction,
        aggregation=aggregation,
        target=target,
        threshold=threshold,
        target_max=target_max,
        cap=cap,
        target_period_months=target_period_months,
        period_months=period_months,
    )
    if base is None:
        return None
    if own is not None:
        chosen: PeriodTarget = own
    elif (
        Aggregation(aggregation) is Aggregation.SUM
        and parts
        and all(part is not None for part in parts)
    ):
        present = [part for part in parts if part is not None]
        chosen = PeriodTarget(
            target=sum((part.target for part in present), ZERO),
            threshold=_sum_if_all([part.threshold for part in present]),
            target_max=_sum_if_all([part.target_max for part in present]),
        )
    else:
        return base
    return KpiRule(
        direction=base.direction,
        target=chosen.target,
        threshold=base.threshold if chosen.threshold is None else chosen.threshold,
        target_max=base.target_max if chosen.target_max is None else chosen.target_max,
        cap=base.cap,
    )
