"""SPEC §9, table-driven: bands, shares and their rounding, groups against the guideline."""

from decimal import Decimal as D

import pytest

from grades.rules import (
    DEFAULT_SCALE,
    MAX,
    MIN,
    Band,
    allowed_at_most,
    check_groups,
    coefficient_of,
    computed_grade,
    required_at_least,
    scale_errors,
)


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (None, None),
        (D("130"), "S"),
        (D("110"), "S"),  # the lowest score earns the grade
        (D("109.9999"), "A"),
        (D("100"), "A"),
        (D("99.99"), "B"),
        (D("85"), "B"),
        (D("84.9"), "C"),
        (D("70"), "C"),
        (D("69.9999"), "D"),
        (D("0"), "D"),
        (D("-5"), "D"),
    ],
)
def test_a_score_earns_the_first_grade_whose_lowest_score_it_reaches(score, grade):
    assert computed_grade(score, DEFAULT_SCALE) == grade


@pytest.mark.parametrize(
    ("percent", "n", "allowed"),
    [
        (D(10), 9, 1),  # SPEC: 9 business departments, S at most 10 % -> 1
        (D(10), 25, 3),  # 2.5 + 0.5 -> 3
        (D(10), 24, 2),  # 2.4 + 0.5 -> 2
        (D(10), 1, 1),  # never fewer than one
        (D(10), 0, 1),
        (D(20), 9, 2),  # 1.8 + 0.5 -> 2
        (D(20), 7, 1),  # 1.4 + 0.5 -> 1
        (D("12.5"), 4, 1),  # 0.5 + 0.5 -> 1
        (D(15), 10, 2),  # 1.5 + 0.5 -> 2: half rounds up
        (D(100), 6, 6),
    ],
)
def test_a_maximum_share_allows_the_rounded_count_and_at_least_one(percent, n, allowed):
    assert allowed_at_most(percent, n) == allowed


@pytest.mark.parametrize(
    ("percent", "n", "required"),
    [
        (D(5), 9, 0),  # SPEC: 9 departments, D at least 5 % -> 0 (small groups need none)
        (D(5), 25, 1),  # 1.25 -> 1
        (D(5), 19, 0),  # 0.95 -> 0
        (D(5), 20, 1),
        (D(5), 40, 2),
        (D(10), 0, 0),
        (D(30), 10, 3),
    ],
)
def test_a_minimum_share_requires_the_floor(percent, n, required):
    assert required_at_least(percent, n) == required


def _grades(*pairs):
    grades, groups = {}, {}
    for i, (grade, group) in enumerate(pairs):
        grades[i] = grade
        groups[i] = group
    return grades, groups


def test_like_with_like_each_group_is_checked_on_its_own_departments():
    # 9 business departments: S at most 1, A at most 2, D at least 0.
    business = [("S", "business"), ("S", "business")] + [("B", "business")] * 7
    management = [("A", "management"), ("B", "management"), ("C", "management")]
    grades, groups = _grades(*business, *management)
    checks = {c.group: c for c in check_groups(grades, groups, DEFAULT_SCALE)}
    assert checks["business"].n == 9
    assert [(lim.label, lim.kind, lim.bound, lim.count) for lim in checks["business"].limits] == [
        ("S", MAX, 1, 2),
        ("A", MAX, 2, 0),
        ("D", MIN, 0, 0),
    ]
    assert not checks["business"].met
    assert [lim.label for lim in checks["business"].breaches] == ["S"]
    assert checks["management"].met  # 3 departments: 1 S and 1 A allowed, no D required
    assert dict(checks["management"].counts) == {"S": 0, "A": 1, "B": 1, "C": 1, "D": 0}


def test_departments_without_a_grade_are_not_counted():
    grades, groups = _grades(*[("B", "company")] * 20, *[(None, "company")] * 5)
    (check,) = check_groups(grades, groups, DEFAULT_SCALE)
    assert check.n == 20
    # 20 graded: D at least floor(1.0) = 1, and none has it
    assert [(lim.label, lim.met) for lim in check.limits] == [
        ("S", True),
        ("A", True),
        ("D", False),
    ]


def test_a_group_with_no_graded_department_has_no_limit():
    (check,) = check_groups({1: None}, {1: "management"}, DEFAULT_SCALE)
    assert check.n == 0 and check.limits == () and check.met


def test_groups_come_in_the_order_given_even_when_empty():
    checks = check_groups({1: "B"}, {1: "business"}, DEFAULT_SCALE, ["management", "business"])
    assert [c.group for c in checks] == ["management", "business"]
    assert checks[0].n == 0


def test_the_default_scale_is_valid_and_gives_the_coefficients():
    assert scale_errors(DEFAULT_SCALE) == []
    assert [coefficient_of(g, DEFAULT_SCALE) for g in "SABCD"] == [
        D("1.3"),
        D("1.15"),
        D("1.0"),
        D("0.8"),
        D("0.5"),
    ]
    assert coefficient_of(None, DEFAULT_SCALE) is None


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ([Band("A", None, D(1))], [(None, "bands", "too_few")]),
        (
            [Band("A", D(90), D(1)), Band("B", D(95), D(1)), Band("C", None, D(1))],
            [(1, "lowest", "not_decreasing")],
        ),
        (
            [Band("A", D(90), D(1)), Band("B", D(90), D(1)), Band("C", None, D(1))],
            [(1, "lowest", "not_decreasing")],
        ),
        ([Band("A", D(90), D(1)), Band("B", D(80), D(1))], [(1, "lowest", "last_has_none")]),
        ([Band("A", None, D(1)), Band("B", None, D(1))], [(0, "lowest", "required")]),
        ([Band("A", D(90), D(1)), Band("a", None, D(1))], [(1, "label", "duplicate")]),
        ([Band(" ", D(90), D(1)), Band("B", None, D(1))], [(0, "label", "required")]),
        ([Band("A", D(90), D(-1)), Band("B", None, D(1))], [(0, "coefficient", "negative")]),
        (
            [Band("A", D(90), D(1), MAX, None), Band("B", None, D(1))],
            [(0, "share_percent", "required")],
        ),
        (
            [Band("A", D(90), D(1), "", D(10)), Band("B", None, D(1))],
            [(0, "share_kind", "required")],
        ),
        (
            [Band("A", D(90), D(1), MAX, D(0)), Band("B", None, D(1), MIN, D(101))],
            [(0, "share_percent", "range"), (1, "share_percent", "range")],
        ),
    ],
)
def test_a_scale_is_refused_with_the_grade_and_field_at_fault(bands, expected):
    assert [(e.position, e.field, e.code) for e in scale_errors(bands)] == expected
