"""Property tests of the scoring math with hypothesis. No database, no Django."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from metrics.scoring import (
    Direction,
    KpiRule,
    MissingPolicy,
    ScoredKpi,
    department_score,
    kpi_score,
    rolled_up_score,
    validate_rule,
)

D = Decimal

numbers = st.decimals(
    min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False
)
positive = st.decimals(min_value=D("0.0001"), max_value=10**6, places=4)
caps = st.decimals(min_value=100, max_value=1000, places=2)


@st.composite
def rules(draw):
    """Any rule that validate_rule accepts, in each direction."""
    direction = draw(st.sampled_from(Direction))
    target = draw(numbers)
    cap = draw(caps)
    if direction is Direction.WITHIN_RANGE:
        width = draw(st.decimals(min_value=0, max_value=10**6, places=4))
        return KpiRule(direction, target, draw(positive), target + width, cap)
    distance = draw(positive)
    higher = direction is Direction.HIGHER_IS_BETTER
    threshold = target - distance if higher else target + distance
    # Sometimes rely on the default threshold where one exists (target above 0).
    use_default = target > 0 and draw(st.booleans())
    return KpiRule(direction, target, None if use_default else threshold, cap=cap)


@given(rules(), numbers)
def test_score_never_leaves_zero_to_cap(rule, actual):
    validate_rule(rule)
    score = kpi_score(rule, actual)
    upper = D(100) if rule.direction is Direction.WITHIN_RANGE else rule.cap
    assert D(0) <= score <= upper


@given(rules(), numbers, numbers)
def test_improving_an_actual_never_lowers_the_score(rule, a, b):
    worse, better = _order_by_goodness(rule, a, b)
    assert kpi_score(rule, better) >= kpi_score(rule, worse)


def _order_by_goodness(rule, a, b):
    """(worse, better) of two actuals: higher is better, lower is better, or for a band the
    one closer to it (a move towards the band is an improvement)."""
    if rule.direction is Direction.HIGHER_IS_BETTER:
        return min(a, b), max(a, b)
    if rule.direction is Direction.LOWER_IS_BETTER:
        return max(a, b), min(a, b)

    def distance(x):
        return max(rule.target - x, x - rule.target_max, D(0))

    return (a, b) if distance(a) >= distance(b) else (b, a)


@given(rules())
def test_hitting_the_target_scores_exactly_100(rule):
    assert kpi_score(rule, rule.target) == D(100)
    if rule.direction is Direction.WITHIN_RANGE:
        assert kpi_score(rule, rule.target_max) == D(100)


scores = st.one_of(st.none(), st.decimals(min_value=0, max_value=1000, places=6))
weights = st.decimals(min_value=0, max_value=100, places=3)
kpi_lists = st.lists(st.builds(ScoredKpi, weights, scores), max_size=12)


@given(kpi_lists, st.sampled_from(MissingPolicy), st.randoms(use_true_random=False))
def test_department_score_does_not_depend_on_kpi_order(items, policy, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    assert department_score(shuffled, policy) == department_score(items, policy)
    assert department_score(list(reversed(items)), policy) == department_score(items, policy)


@given(kpi_lists, st.sampled_from(MissingPolicy))
def test_department_score_lies_within_its_kpis_scores(items, policy):
    score, coverage = department_score(items, policy)
    assert D(0) <= coverage <= D(1)
    counted = [i.score for i in items if i.weight > 0 and i.score is not None]
    if not counted:
        assert (score, coverage) == (None, D(0))
        return
    if policy is MissingPolicy.ZERO and coverage < 1:
        counted.append(D(0))
    assert min(counted) <= score <= max(counted)


@given(
    st.one_of(st.none(), st.decimals(min_value=0, max_value=120, places=4)),
    st.lists(st.tuples(weights, scores), max_size=8),
    st.randoms(use_true_random=False),
)
def test_rolled_up_score_does_not_depend_on_child_order(own, children, random):
    shuffled = list(children)
    random.shuffle(shuffled)
    assert rolled_up_score(own, shuffled) == rolled_up_score(own, children)
