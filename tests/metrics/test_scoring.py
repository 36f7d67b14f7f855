"""Table-driven tests of the pure scoring math (SPEC §3-§4). No database, no Django."""

from decimal import Decimal

import pytest

from metrics import scoring
from metrics.scoring import (
    Aggregation,
    Direction,
    KpiRule,
    MissingPolicy,
    ScoredKpi,
    Status,
    TargetError,
    aggregate,
    department_score,
    effective_threshold,
    goal_progress,
    kpi_score,
    kpi_status,
    months_in,
    org_indices,
    rolled_up_score,
    round_display,
    scale_target,
    validate_rule,
)

D = Decimal
HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER
RANGE = Direction.WITHIN_RANGE


# --- SPEC §3 worked examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "rule", "actual", "expected"),
    [
        ("annual staff turnover, default 2T", KpiRule(LOWER, D(10)), D(15), D(50)),
        ("annual staff turnover, capped", KpiRule(LOWER, D(10), D(20)), D(4), D(120)),
        ("quarterly sales CNY", KpiRule(HIGHER, D(5_000_000)), D(4_000_000), D(80)),
        ("customer acquisition cost", KpiRule(LOWER, D(100), D(200)), D(130), D(70)),
        ("first response minutes", KpiRule(LOWER, D(15), D(30)), D(12), D(120)),
        ("customer satisfaction %", KpiRule(HIGHER, D(90), D(50)), D(86), D(90)),
        (
            "budget execution % within 95-105",
            KpiRule(RANGE, D(95), D(10), target_max=D(105)),
            D(110),
            D(50),
        ),
    ],
)
def test_spec_worked_examples_hold_exactly(label, rule, actual, expected):
    assert kpi_score(rule, actual) == expected


def test_first_response_is_capped_at_the_cap_not_just_120():
    # Uncapped it would be 100 * (30 - 12) / (30 - 15) = 120; a cap of 110 stops it there.
    assert kpi_score(KpiRule(LOWER, D(15), D(30), cap=D(110)), D(12)) == D(110)


@pytest.mark.parametrize(
    ("rule", "actual", "expected"),
    [
        # higher_is_better: clamped below at 0, above at the cap
        (KpiRule(HIGHER, D(100)), D(-5), D(0)),
        (KpiRule(HIGHER, D(100)), D(0), D(0)),
        (KpiRule(HIGHER, D(100)), D(100), D(100)),
        (KpiRule(HIGHER, D(100)), D(500), D(120)),
        (KpiRule(HIGHER, D(100), cap=D(150)), D(140), D(140)),
        (KpiRule(HIGHER, D(90), D(50)), D(50), D(0)),
        (KpiRule(HIGHER, D(90), D(50)), D(40), D(0)),
        # negative targets are fine with an explicit threshold
        (KpiRule(HIGHER, D(-10), D(-20)), D(-15), D(50)),
        # lower_is_better
        (KpiRule(LOWER, D(10)), D(20), D(0)),
        (KpiRule(LOWER, D(10)), D(25), D(0)),
        (KpiRule(LOWER, D(10)), D(10), D(100)),
        (KpiRule(LOWER, D(0), D(5)), D(1), D(80)),
        (KpiRule(LOWER, D(0), D(5)), D(-100), D(120)),
        # within_range: 100 inside and on the edges, linear to 0 at the threshold distance
        (KpiRule(RANGE, D(95), D(10), D(105)), D(95), D(100)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(100), D(100)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(105), D(100)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(90), D(50)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(85), D(0)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(60), D(0)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(116), D(0)),
        (KpiRule(RANGE, D(100), D(4), D(100)), D(99), D(75)),
        # a within_range score never exceeds 100, whatever the cap
        (KpiRule(RANGE, D(95), D(10), D(105), cap=D(150)), D(100), D(100)),
    ],
)
def test_kpi_score_edges_and_clamping(rule, actual, expected):
    assert kpi_score(rule, actual) == expected


def test_kpi_score_is_unrounded():
    score = kpi_score(KpiRule(HIGHER, D(3)), D(2))
    assert score == D(200) / D(3)
    assert round_display(score) == D("66.7")


def test_rule_accepts_plain_strings_and_ints_as_django_gives_them():
    rule = KpiRule("lower_is_better", 10, "20", cap=120)
    assert rule.direction is LOWER
    assert rule.target == D(10)
    assert rule.threshold == D(20)
    assert kpi_score(rule, D(15)) == D(50)


@pytest.mark.parametrize("bad", [10.0, True])
def test_rule_refuses_floats_and_bools(bad):
    with pytest.raises(TypeError):
        KpiRule(HIGHER, bad)


def test_kpi_score_refuses_a_non_finite_actual():
    with pytest.raises(ValueError, match="finite"):
        kpi_score(KpiRule(HIGHER, D(10)), D("NaN"))


def test_enums_compare_equal_to_django_choice_strings():
    assert Direction.LOWER_IS_BETTER == "lower_is_better"
    assert Status.GREEN == "green"
    assert Aggregation.AVERAGE == "average"
    assert MissingPolicy.ZERO == "zero"
    assert {d.value for d in Direction} == {"higher_is_better", "lower_is_better", "within_range"}
    assert {s.value for s in Status} == {"green", "amber", "red", "grey"}
    assert {a.value for a in Aggregation} == {"sum", "average", "last", "min", "max", "formula"}
    assert {p.value for p in MissingPolicy} == {"exclude", "zero"}


# --- thresholds and validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (KpiRule(HIGHER, D(5_000_000)), D(0)),
        (KpiRule(HIGHER, D(90), D(50)), D(50)),
        (KpiRule(LOWER, D(10)), D(20)),
        (KpiRule(LOWER, D("2.5")), D(5)),
        (KpiRule(LOWER, D(10), D(12)), D(12)),
        (KpiRule(LOWER, D(0), D(5)), D(5)),
        (KpiRule(RANGE, D(95), D(10), D(105)), D(10)),
    ],
)
def test_effective_threshold_defaults(rule, expected):
    assert effective_threshold(rule) == expected


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        (KpiRule(HIGHER, None), "target", scoring.MSG_TARGET_REQUIRED),
        (KpiRule(LOWER, None, D(5)), "target", scoring.MSG_TARGET_REQUIRED),
        (KpiRule(LOWER, D(0)), "threshold", scoring.MSG_THRESHOLD_REQUIRED_LOWER),
        (KpiRule(LOWER, D(-3)), "threshold", scoring.MSG_THRESHOLD_REQUIRED_LOWER),
        (KpiRule(HIGHER, D(0)), "threshold", scoring.MSG_THRESHOLD_REQUIRED_HIGHER),
        (KpiRule(RANGE, D(95), None, D(105)), "threshold", scoring.MSG_RANGE_THRESHOLD_REQUIRED),
    ],
)
def test_effective_threshold_refuses_missing_required_values(rule, field, message):
    with pytest.raises(TargetError) as excinfo:
        effective_threshold(rule)
    assert excinfo.value.field == field
    assert excinfo.value.message == message


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        # target missing
        (KpiRule(HIGHER, None), "target", scoring.MSG_TARGET_REQUIRED),
        (KpiRule(RANGE, None, D(10), D(105)), "target", scoring.MSG_TARGET_REQUIRED),
        # target == threshold
        (KpiRule(HIGHER, D(90), D(90)), "threshold", scoring.MSG_THRESHOLD_EQUALS_TARGET),
        (KpiRule(LOWER, D(10), D(10)), "threshold", scoring.MSG_THRESHOLD_EQUALS_TARGET),
        # wrong side
        (KpiRule(HIGHER, D(90), D(95)), "threshold", scoring.MSG_THRESHOLD_NOT_BELOW_TARGET),
        (KpiRule(LOWER, D(10), D(5)), "threshold", scoring.MSG_THRESHOLD_NOT_ABOVE_TARGET),
        # defaults that cannot apply
        (KpiRule(LOWER, D(0)), "threshold", scoring.MSG_THRESHOLD_REQUIRED_LOWER),
        (KpiRule(HIGHER, D(-5)), "threshold", scoring.MSG_THRESHOLD_REQUIRED_HIGHER),
        # within_range
        (KpiRule(RANGE, D(95), D(10)), "target_max", scoring.MSG_TARGET_MAX_REQUIRED),
        (KpiRule(RANGE, D(95), D(10), D(90)), "target_max", scoring.MSG_TARGET_MAX_BELOW_TARGET),
        (KpiRule(RANGE, D(95), None, D(105)), "threshold", scoring.MSG_RANGE_THRESHOLD_REQUIRED),
        (
            KpiRule(RANGE, D(95), D(0), D(105)),
            "threshold",
            scoring.MSG_RANGE_THRESHOLD_NOT_POSITIVE,
        ),
        (
            KpiRule(RANGE, D(95), D(-1), D(105)),
            "threshold",
            scoring.MSG_RANGE_THRESHOLD_NOT_POSITIVE,
        ),
        # cap
        (KpiRule(HIGHER, D(10), cap=D(99)), "cap", scoring.MSG_CAP_TOO_LOW),
        (KpiRule(HIGHER, D(10), cap=D(0)), "cap", scoring.MSG_CAP_TOO_LOW),
        (KpiRule(HIGHER, D(10), cap=D(-120)), "cap", scoring.MSG_CAP_TOO_LOW),
        (KpiRule(RANGE, D(95), D(10), D(105), cap=D(50)), "cap", scoring.MSG_CAP_TOO_LOW),
        # non-finite numbers
        (KpiRule(HIGHER, D("Infinity")), "target", scoring.MSG_NOT_FINITE),
        (KpiRule(HIGHER, D(10), D("NaN")), "threshold", scoring.MSG_NOT_FINITE),
    ],
)
def test_validate_rule_refusals(rule, field, message):
    with pytest.raises(TargetError) as excinfo:
        validate_rule(rule)
    assert excinfo.value.field == field
    assert excinfo.value.message == message
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)
    # Scoring refuses the same rules rather than dividing by zero or inverting the scale.
    with pytest.raises(TargetError):
        kpi_score(rule, D(1))


@pytest.mark.parametrize(
    "rule",
    [
        KpiRule(HIGHER, D(5_000_000)),
        KpiRule(HIGHER, D(90), D(50)),
        KpiRule(LOWER, D(10)),
        KpiRule(LOWER, D(0), D(5)),
        KpiRule(RANGE, D(95), D(10), D(105)),
        KpiRule(RANGE, D(100), D("0.5"), D(100)),
        KpiRule(HIGHER, D(10), cap=D(100)),
    ],
)
def test_validate_rule_accepts_sound_rules(rule):
    validate_rule(rule)


def test_every_message_is_a_module_constant_in_plain_english():
    messages = [v for k, v in vars(scoring).items() if k.startswith("MSG_")]
    assert len(messages) == len(set(messages)) >= 11
    assert all(m[0].isupper() and m.endswith(".") for m in messages)


def test_target_error_refuses_unknown_field():
    with pytest.raises(ValueError, match="unknown target field"):
        TargetError("weight", "x")


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "amber_line", "expected"),
    [
        (None, D(80), Status.GREY),
        (D(120), D(80), Status.GREEN),
        (D(100), D(80), Status.GREEN),
        (D("99.9999"), D(80), Status.AMBER),
        (D(80), D(80), Status.AMBER),
        (D("79.9999"), D(80), Status.RED),
        (D(0), D(80), Status.RED),
        (D(0), D(0), Status.AMBER),
        (D(90), D(95), Status.RED),
    ],
)
def test_kpi_status_boundaries(score, amber_line, expected):
    assert kpi_status(score, amber_line) == expected


# --- department score ----------------------------------------------------------------------


def kpis(*pairs):
    return [ScoredKpi(D(w), None if s is None else D(s)) for w, s in pairs]


@pytest.mark.parametrize(
    ("items", "policy", "expected_score", "expected_coverage"),
    [
        # all present: weighted mean, full coverage
        (kpis((2, 50), (1, 80)), "exclude", D(60), D(1)),
        (kpis((2, 50), (1, 80)), "zero", D(60), D(1)),
        # one missing: exclude averages the rest, zero counts it as 0
        (kpis((1, 80), (1, 100), (2, None)), "exclude", D(90), D("0.5")),
        (kpis((1, 80), (1, 100), (2, None)), "zero", D(45), D("0.5")),
        # weight-0 KPIs (formula components) neither score nor count in coverage
        (kpis((1, 80), (0, 10), (0, None)), "exclude", D(80), D(1)),
        (kpis((1, 80), (0, 10), (0, None)), "zero", D(80), D(1)),
        # no actual at all: empty score, zero coverage, under both policies
        (kpis((1, None), (3, None)), "exclude", None, D(0)),
        (kpis((1, None), (3, None)), "zero", None, D(0)),
        # no weighted KPI
        (kpis((0, 90)), "exclude", None, D(0)),
        ([], "exclude", None, D(0)),
        ([], "zero", None, D(0)),
        # decimal weights
        (kpis(("0.3", 100), ("0.7", 50)), "exclude", D(65), D(1)),
        (kpis(("0.3", 100), ("0.7", None)), "zero", D(30), D("0.3")),
    ],
)
def test_department_score_and_coverage(items, policy, expected_score, expected_coverage):
    score, coverage = department_score(items, MissingPolicy(policy))
    assert score == expected_score
    assert coverage == expected_coverage
    # The plain strings of the Organization's TextChoices work as well.
    assert department_score(items, policy) == (score, coverage)


def test_department_score_accepts_a_generator():
    score, coverage = department_score((k for k in kpis((1, 40), (1, 60))), "exclude")
    assert (score, coverage) == (D(50), D(1))


def test_department_score_refuses_negative_weight():
    with pytest.raises(ValueError, match="negative"):
        department_score(kpis((-1, 50), (2, 50)), "exclude")


def test_department_score_status_is_grey_without_actuals():
    score, _ = department_score(kpis((1, None)), "exclude")
    assert kpi_status(score, D(80)) is Status.GREY


# --- time roll-up --------------------------------------------------------------------------


MONTHS = [D(3), D(1), D(4), D(1), D(5)]


@pytest.mark.parametrize(
    ("values", "how", "expected"),
    [
        (MONTHS, "sum", D(14)),
        (MONTHS, "average", D("2.8")),
        (MONTHS, "last", D(5)),
        (MONTHS, "min", D(1)),
        (MONTHS, "max", D(5)),
        ([D(1), D(2)], "average", D("1.5")),
        ([D(1), D(1), D(2)], "average", D(4) / D(3)),
        # months without a value are skipped, not counted as 0
        ([D(10), None, D(20), None], "average", D(15)),
        ([D(10), None, D(20), None], "last", D(20)),
        ([D(10), None, D(20), None], "sum", D(30)),
        ([D(-2), None, D(7)], "min", D(-2)),
        ([D("0.1"), D("0.2")], "sum", D("0.3")),
        ([], "sum", None),
        ([], "average", None),
        ([], "last", None),
        ([None, None], "max", None),
        ([], "min", None),
    ],
)
def test_aggregate(values, how, expected):
    assert aggregate(values, Aggregation(how)) == expected


def test_aggregate_refuses_formula():
    with pytest.raises(ValueError, match="formula"):
        aggregate([D(1)], Aggregation.FORMULA)


@pytest.mark.parametrize(("kind", "months"), [("month", 1), ("quarter", 3), ("year", 12)])
def test_months_in(kind, months):
    assert months_in(kind) == months


@pytest.mark.parametrize(
    ("target", "how", "target_months", "period_months", "expected"),
    [
        # the quarterly 5,000,000 of SPEC §4, both ways
        (D(5_000_000), "sum", 3, 1, D(5_000_000) / D(3)),
        (D(5_000_000), "sum", 3, 3, D(5_000_000)),
        (D(5_000_000), "sum", 3, 12, D(20_000_000)),
        # and back from a yearly target
        (D(20_000_000), "sum", 12, 3, D(5_000_000)),
        (D(12), "sum", 12, 1, D(1)),
        # non-sum targets are kept for equal or longer periods ...
        (D(10), "average", 12, 12, D(10)),
        (D(10), "average", 1, 3, D(10)),
        (D(10), "average", 1, 12, D(10)),
        (D(90), "last", 3, 12, D(90)),
        (D(15), "min", 1, 3, D(15)),
        (D(15), "max", 1, 3, D(15)),
        (D(10), "formula", 12, 12, D(10)),
        # ... and not scored for shorter ones
        (D(10), "average", 12, 1, None),
        (D(10), "average", 12, 3, None),
        (D(10), "formula", 12, 1, None),
        (D(90), "last", 3, 1, None),
        (D(90), "max", 12, 3, None),
        # no target, nothing to scale
        (None, "sum", 3, 1, None),
        (None, "average", 1, 12, None),
    ],
)
def test_scale_target(target, how, target_months, period_months, expected):
    assert scale_target(target, Aggregation(how), target_months, period_months) == expected


def test_quarterly_sales_target_for_a_month_displays_as_spec_says():
    monthly = scale_target(D(5_000_000), Aggregation.SUM, 3, 1)
    assert str(monthly).startswith("1666666.666666")
    assert round_display(monthly, 2) == D("1666666.67")


@pytest.mark.parametrize("months", [0, -3, True, 1.0])
def test_scale_target_refuses_bad_month_counts(months):
    with pytest.raises(ValueError, match="months"):
        scale_target(D(1), "sum", months, 3)


def test_monthly_sales_scored_against_the_quarterly_target():
    rule = KpiRule(HIGHER, scale_target(D(5_000_000), "sum", 3, 1))
    assert round_display(kpi_score(rule, D(1_333_333))) == D("80.0")


# --- hierarchy, organization, goals --------------------------------------------------------


@pytest.mark.parametrize(
    ("own", "children", "expected"),
    [
        # leaf department: its own score
        (D(80), [], D(80)),
        # own score weighs 1, children their weight in parent
        (D(90), [(D(1), D(60))], D(75)),
        (D(100), [(D(2), D(70)), (D(1), D(40))], D(70)),
        # parent without KPIs: only the children
        (None, [(D(1), D(80)), (D(3), D(40))], D(50)),
        # children without a score are skipped
        (D(90), [(D(5), None), (D(1), D(70))], D(80)),
        (None, [(D(1), None), (D(2), D(66))], D(66)),
        # weight-0 child takes no part
        (D(90), [(D(0), D(10))], D(90)),
        # nothing at all
        (None, [(D(1), None)], None),
        (None, [], None),
    ],
)
def test_rolled_up_score(own, children, expected):
    assert rolled_up_score(own, children) == expected


def test_rolled_up_scores_compose_through_three_levels():
    team_a = rolled_up_score(D(60), [])
    team_b = rolled_up_score(None, [(D(1), D(100))])
    division = rolled_up_score(D(80), [(D(1), team_a), (D(2), team_b)])
    company = rolled_up_score(None, [(D(1), division)])
    assert division == D(85)
    assert company == D(85)


@pytest.mark.parametrize(
    ("management", "business", "m", "expected"),
    [
        # both sides: m-weighted company index and business - management gap
        ([D(80), D(90)], [D(100), D(110)], D("0.5"), (D(85), D(105), D(95), D(20))),
        ([D(80), D(90)], [D(100), D(110)], D("0.3"), (D(85), D(105), D(99), D(20))),
        ([D(100)], [D(70)], D(0), (D(100), D(70), D(70), D(-30))),
        ([D(100)], [D(70)], D(1), (D(100), D(70), D(100), D(-30))),
        # departments without a score are not counted
        ([D(80), None], [None, D(60), D(100)], D("0.5"), (D(80), D(80), D(80), D(0))),
        # one side empty: company index is the other side's, no gap
        ([], [D(100), D(50)], D("0.5"), (None, D(75), D(75), None)),
        ([D(90)], [None], D("0.5"), (D(90), None, D(90), None)),
        # nothing at all
        ([], [], D("0.5"), (None, None, None, None)),
    ],
)
def test_org_indices(management, business, m, expected):
    assert org_indices(management, business, m) == expected


@pytest.mark.parametrize("m", [D("-0.1"), D("1.01")])
def test_org_indices_refuses_weight_outside_0_1(m):
    with pytest.raises(ValueError, match="management_weight"):
        org_indices([D(1)], [D(1)], m)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([(D(1), D(80)), (D(1), D(100))], D(90)),
        ([(D(3), D(100)), (D(1), D(60))], D(90)),
        ([(D(3), None), (D(1), D(60))], D(60)),
        ([(D(0), D(10)), (D(1), D(60))], D(60)),
        ([(D(1), None)], None),
        ([], None),
    ],
)
def test_goal_progress(items, expected):
    assert goal_progress(items) == expected


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        (D("66.65"), 1, D("66.7")),
        (D("66.649"), 1, D("66.6")),
        (D("0.05"), 1, D("0.1")),
        (D("-0.05"), 1, D("-0.1")),
        (D("2.5"), 0, D("3")),
        (D("1666666.666666"), 2, D("1666666.67")),
        (D(80), 1, D("80.0")),
        (None, 1, None),
    ],
)
def test_round_display_rounds_half_up(x, places, expected):
    result = round_display(x, places)
    assert result == expected
    if expected is not None:
        assert str(result) == str(expected)


# --- feedback: internal service satisfaction and cooperation (issue 19 §4) -----------------


@pytest.mark.parametrize(
    "feedback,expected",
    [
        # one rating per feedback: the formula of a single 1-5 rating, unchanged
        ([[5]], "100"),
        ([[4]], "80"),
        ([[4], [5]], "90"),
        ([[1], [2], [2]], "33.3333"),
        ([[3], [4], [4]], "73.3333"),
        # a single rating copied onto every criterion (the data migration) gives the same
        ([[4, 4, 4], [5, 5, 5]], "90"),
        ([[1, 1, 1], [2, 2, 2], [2, 2, 2]], "33.3333"),
        # several criteria: each feedback's average over its criteria, then the mean
        ([[5, 4, 3]], "80"),
        ([[5, 5, 4]], "93.3333"),
        ([[1, 2, 2], [3, 3, 3]], "46.6667"),
        ([[5, 4], [3, 3, 3]], "75"),  # a feedback on fewer criteria weighs as much
        ([[1, 1, 1]], "20"),
        ([[5], []], "100"),  # a feedback without ratings is left out
        ([], None),
        ([[]], None),
    ],
)
def test_feedback_satisfaction_is_the_average_over_criteria_over_5_times_100(feedback, expected):
    result = scoring.feedback_satisfaction(feedback)
    assert result == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize("bad", [[[0]], [[6]], [[4, 9]]])
def test_feedback_satisfaction_refuses_ratings_outside_1_to_5(bad):
    with pytest.raises(ValueError):
        scoring.feedback_satisfaction(bad)
