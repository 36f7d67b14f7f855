"""Calibration (SPEC §9): computed grades, moves with reasons, publication refused or
overridden, reopening, every step kept; the scale refused with the grade and field."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grades import rules, selectors, services
from grades.models import CalibrationEvent, CalibrationGrade, GradeBand, PublishRule

from .conftest import member

pytestmark = pytest.mark.django_db


def _finals(board):
    return {r.department.code: r.final for r in board.rows}


def test_the_board_grades_each_department_on_its_score_and_checks_each_kind(
    org, hr, quarter, graded
):
    board = selectors.calibration_board(org=org, period=quarter)
    assert _finals(board) == {
        "b1": "S",
        "b2": "S",
        "b3": "A",
        "b4": "A",
        "b5": "B",
        "b6": "B",
        "b7": "B",
        "b8": "B",
        "b9": "C",
        "m1": "A",
        "m2": "B",
        "m3": None,  # no score: no grade, not counted
    }
    checks = {c.group: c for c in board.checks}
    assert (checks["business"].n, checks["management"].n) == (9, 2)
    # 9 business departments: at most 1 S (2 have it), at most 2 A
    assert [(b.label, b.bound, b.count) for b in checks["business"].breaches] == [("S", 1, 2)]
    assert checks["management"].met
    assert not board.met


def test_company_wide_grouping_counts_every_department_together(org, hr, quarter, graded):
    policy = selectors.policy_get(org=org)
    services.grading_save(
        org=org,
        membership=member(hr),
        bands=rules.DEFAULT_SCALE,
        grade_months=False,
        grade_quarters=True,
        grade_years=True,
        grouping="company",
        publish_rule=policy.publish_rule,
    )
    board = selectors.calibration_board(org=org, period=quarter)
    (check,) = board.checks
    assert check.n == 11
    # 11 departments: S at most floor(1.1 + 0.5) = 1; A at most floor(2.2 + 0.5) = 2 (3 have it)
    assert [(b.label, b.bound, b.count) for b in check.breaches] == [("S", 1, 2), ("A", 2, 3)]


def test_publication_is_refused_until_moves_meet_the_guideline(org, hr, executive, quarter, graded):
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    with pytest.raises(ValidationError) as refused:
        services.calibration_publish(org=org, membership=member(executive), calibration=calibration)
    assert "calibration" in refused.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        services.calibration_move(
            org=org,
            membership=member(executive),
            calibration=calibration,
            department=graded["b2"],
            grade="A",
            reason="  ",
        )
    assert "reason" in no_reason.value.message_dict
    services.calibration_move(
        org=org,
        membership=member(executive),
        calibration=calibration,
        department=graded["b2"],
        grade="A",
        reason="One-off deal",
    )
    # Now 3 business A for at most 2: still refused.
    with pytest.raises(ValidationError):
        services.calibration_publish(org=org, membership=member(executive), calibration=calibration)
    services.calibration_move(
        org=org,
        membership=member(executive),
        calibration=calibration,
        department=graded["b4"],
        grade="B",
        reason="Target was low",
    )
    published = services.calibration_publish(
        org=org, membership=member(executive), calibration=calibration
    )
    assert published.state == "published" and published.override_reason == ""
    frozen = {
        g.department.code: (g.score, g.computed, g.final, g.coefficient, g.group, g.reason)
        for g in CalibrationGrade.objects.for_org(org).select_related("department")
    }
    assert frozen["b2"] == (D("112"), "S", "A", D("1.15"), "business", "One-off deal")
    assert frozen["b4"] == (D("100"), "A", "B", D("1.000"), "business", "Target was low")
    assert frozen["b1"] == (D("115"), "S", "S", D("1.3"), "business", "")
    assert frozen["m3"] == (None, "", "", None, "management", "")
    events = list(
        CalibrationEvent.objects.for_org(org).values_list("action", "from_grade", "to_grade")
    )
    assert events == [("open", "", ""), ("move", "S", "A"), ("move", "A", "B"), ("publish", "", "")]


def test_published_grades_are_frozen_and_reopening_needs_a_reason(
    org, hr, executive, quarter, graded
):
    services.grading_save(
        org=org,
        membership=member(hr),
        bands=rules.DEFAULT_SCALE,
        grade_months=False,
        grade_quarters=True,
        grade_years=True,
        grouping="by_kind",
        publish_rule=PublishRule.OVERRIDE,
    )
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    with pytest.raises(ValidationError) as no_reason:
        services.calibration_publish(org=org, membership=member(executive), calibration=calibration)
    assert "override_reason" in no_reason.value.message_dict
    services.calibration_publish(
        org=org,
        membership=member(executive),
        calibration=calibration,
        override_reason="Two exceptional quarters",
    )
    # The scores change afterwards: the published board does not.
    from scorecards.models import Scorecard

    Scorecard.objects.for_org(org).update(rolled_up_score=D(50), score=D(50))
    board = selectors.calibration_board(org=org, period=quarter)
    assert _finals(board)["b1"] == "S" and board.published
    with pytest.raises(ValidationError):
        services.calibration_move(
            org=org,
            membership=member(executive),
            calibration=calibration,
            department=graded["b1"],
            grade="A",
            reason="late",
        )
    with pytest.raises(ValidationError) as no_reopen_reason:
        services.calibration_reopen(
            org=org, membership=member(hr), calibration=calibration, reason=""
        )
    assert "reason" in no_reopen_reason.value.message_dict
    services.calibration_reopen(
        org=org, membership=member(hr), calibration=calibration, reason="Scores corrected"
    )
    board = selectors.calibration_board(org=org, period=quarter)
    assert not board.published and _finals(board)["b1"] == "D"  # live again: 50 is a D
    actions = list(CalibrationEvent.objects.for_org(org).values_list("action", "reason"))
    assert actions[-2:] == [
        ("publish", "Two exceptional quarters"),
        ("reopen", "Scores corrected"),
    ]


def test_moving_back_to_the_computed_grade_needs_no_reason_and_clears_the_move(
    org, hr, quarter, graded
):
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    kwargs = {
        "org": org,
        "membership": member(hr),
        "calibration": calibration,
        "department": graded["b5"],
    }
    services.calibration_move(**kwargs, grade="C", reason="Quality issues")
    assert _finals(selectors.calibration_board(org=org, period=quarter))["b5"] == "C"
    services.calibration_move(**kwargs, grade="B", reason="")
    board = selectors.calibration_board(org=org, period=quarter)
    assert _finals(board)["b5"] == "B" and board.moved == []


def test_a_department_without_a_score_cannot_be_given_a_grade(org, hr, quarter, graded):
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    with pytest.raises(ValidationError) as refused:
        services.calibration_move(
            org=org,
            membership=member(hr),
            calibration=calibration,
            department=graded["m3"],
            grade="B",
            reason="x",
        )
    assert "department" in refused.value.message_dict


def test_unknown_grade_and_ungraded_period_kind_are_refused(org, hr, quarter, graded):
    from metrics.models import Period

    month = Period.objects.for_org(org).filter(kind="month").first()
    with pytest.raises(ValidationError) as not_graded:
        services.calibration_open(org=org, membership=member(hr), period=month)
    assert "period" in not_graded.value.message_dict
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    with pytest.raises(ValidationError) as unknown:
        services.calibration_move(
            org=org,
            membership=member(hr),
            calibration=calibration,
            department=graded["b5"],
            grade="Z",
            reason="x",
        )
    assert "grade" in unknown.value.message_dict


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("manager", "open", False),
        ("executive", "open", False),
        ("hr", "open", True),
        ("admin", "open", True),
        ("manager", "move", False),
        ("executive", "move", True),
        ("manager", "scale", False),
        ("executive", "scale", False),
    ],
)
def test_who_may_do_what(org, role_users, quarter, graded, role, action, allowed):
    who = member(role_users[role])
    hr = member(role_users["hr"])

    def run():
        if action == "open":
            return services.calibration_open(org=org, membership=who, period=quarter)
        if action == "move":
            calibration = services.calibration_open(org=org, membership=hr, period=quarter)
            return services.calibration_move(
                org=org,
                membership=who,
                calibration=calibration,
                department=graded["b5"],
                grade="A",
                reason="x",
            )
        return services.grading_save(
            org=org,
            membership=who,
            bands=rules.DEFAULT_SCALE,
            grade_months=True,
            grade_quarters=True,
            grade_years=True,
            grouping="by_kind",
            publish_rule="refuse",
        )

    if allowed:
        run()
    else:
        with pytest.raises(PermissionDenied):
            run()


def test_a_bad_scale_is_refused_with_each_grade_and_field_and_nothing_is_saved(org, hr):
    bands = [
        rules.Band("S", D(100), D(1)),
        rules.Band("A", D(110), D(1)),  # not below S
        rules.Band("", None, D(-1)),  # no label, negative coefficient
    ]
    with pytest.raises(ValidationError) as refused:
        services.grading_save(
            org=org,
            membership=member(hr),
            bands=bands,
            grade_months=False,
            grade_quarters=False,
            grade_years=False,
            grouping="nonsense",
            publish_rule="refuse",
        )
    assert set(refused.value.message_dict) == {
        "bands.1.lowest",
        "bands.2.label",
        "bands.2.coefficient",
        "grouping",
        "grade_quarters",
    }
    assert not GradeBand.objects.for_org(org).exists()
    assert selectors.scale_get(org=org) == list(rules.DEFAULT_SCALE)


def test_a_saved_scale_replaces_the_default_and_is_audited(org, hr):
    bands = [
        rules.Band("优", D(95), D("1.2"), "max", D(30)),
        rules.Band("良", D(80), D(1)),
        rules.Band("差", None, D("0.6"), "min", D(10)),
    ]
    kwargs = {
        "org": org,
        "membership": member(hr),
        "grade_months": True,
        "grade_quarters": True,
        "grade_years": False,
        "grouping": "company",
        "publish_rule": "override",
    }
    services.grading_save(bands=bands, **kwargs)
    assert selectors.scale_get(org=org) == bands
    services.grading_save(bands=bands[:1] + bands[2:], **kwargs)
    assert [b.label for b in selectors.scale_get(org=org)] == ["优", "差"]
    from grades.models import GradeBandEvent

    # two saves: 3 inserted, then 差 moved up (updated), its old row's position removed
    assert GradeBandEvent.objects.count() >= 5


def test_a_period_that_has_not_started_cannot_be_calibrated(org, hr):
    from metrics.services.periods import periods_generate

    later = next(
        p for p in periods_generate(org=org, fiscal_year=2099, by=None) if p.kind == "quarter"
    )
    with pytest.raises(ValidationError) as refused:
        services.calibration_open(org=org, membership=member(hr), period=later)
    assert "period" in refused.value.message_dict


def test_publishing_posts_once_on_the_channels_routed_for_grades_published(
    org, hr, executive, quarter, graded, django_capture_on_commit_callbacks
):
    """issue 18: "grades published" is a kind an admin routes to a chat channel; each
    publication is one message (sent by messaging's job)."""
    from messaging import services as channels
    from messaging.models import Delivery

    group = channels.channel_save(
        org=org,
        by=None,
        data=channels.ChannelInput(kind="email", name="Leaders", email="leaders@example.com"),
    )
    channels.routes_save(org=org, pairs=[("grades_published", group.pk)], by=None)
    calibration = services.calibration_open(org=org, membership=member(hr), period=quarter)
    for code, grade in (("b2", "A"), ("b4", "B")):
        services.calibration_move(
            org=org,
            membership=member(executive),
            calibration=calibration,
            department=graded[code],
            grade=grade,
            reason="Calibrated",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.calibration_publish(org=org, membership=member(executive), calibration=calibration)
    (delivery,) = Delivery.objects.for_org(org).filter(kind="grades_published")
    assert delivery.channel_id == group.pk and "published" in delivery.title
    assert f"period={quarter.pk}" in delivery.url
