"""Serializers of grade-scales/, calibrations/ (with their appeals/) and grades/ (SPEC §9,
issue 17).

Output serializers read the selectors' objects (the Board of `calibration_board`, its rows,
the rules' GroupChecks, CalibrationGrade rows); none of them queries the database."""

from rest_framework import serializers

from departments import selectors as dept_selectors
from departments.api.serializers import OrgScopedPrimaryKeyField
from metrics import selectors as metric_selectors
from perfhub.api import PersonName, StrictInput

from ..models import (
    GRADE_LABEL,
    AppealState,
    CalibrationAction,
    CalibrationState,
    Grouping,
    PublishRule,
    ShareKind,
)
from ..services import REASON_MAX


class GradeOrNull(serializers.CharField):
    """A grade label; null where the row stores an empty one (a department without a score
    gets no grade)."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None


# --- grade-scales/ ---------------------------------------------------------------------


class BandOut(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # Field.label in the stubs
    lowest_score = serializers.DecimalField(
        source="lowest",
        max_digits=9,
        decimal_places=4,
        allow_null=True,
        help_text="The lowest score that earns the grade; null for the last grade.",
    )
    coefficient = serializers.DecimalField(max_digits=6, decimal_places=3)
    share_kind = serializers.ChoiceField(
        choices=ShareKind.choices,
        help_text="The guideline share: `max` (at most), `min` (at least) or empty (none).",
    )
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class GradingOut(serializers.Serializer):
    """The organization's scale (best grade first; the default one until HR saves one) and
    its policy."""

    bands = BandOut(many=True)
    grade_months = serializers.BooleanField(source="policy.grade_months")
    grade_quarters = serializers.BooleanField(source="policy.grade_quarters")
    grade_years = serializers.BooleanField(source="policy.grade_years")
    grouping = serializers.ChoiceField(choices=Grouping.choices, source="policy.grouping")
    publish_rule = serializers.ChoiceField(
        choices=PublishRule.choices, source="policy.publish_rule"
    )


class BandIn(StrictInput, serializers.Serializer):
    label = serializers.CharField(max_length=GRADE_LABEL)  # type: ignore[assignment]  # Field.label
    lowest_score = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        allow_null=True,
        required=False,
        default=None,
        help_text="Required for every grade but the last, which must leave it null.",
    )
    coefficient = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0)
    share_kind = serializers.ChoiceField(
        choices=ShareKind.choices, allow_blank=True, required=False, default=""
    )
    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        required=False,
        default=None,
        help_text="Above 0 and at most 100; required with a `share_kind`.",
    )


class GradingIn(StrictInput, serializers.Serializer):
    """The whole scale (best grade first) and the policy, replacing both.

    Errors about a grade come back under its index in the list sent (as DRF answers a
    nested list: only the grades at fault), errors about the scale as a whole under
    `non_field_errors`: `{"bands": {"1": {"lowest_score": ["…"]}, "non_field_errors":
    ["…"]}}`. The same shape whether the serializer or the service
    (grades.services.grading_save) refused it."""

    # min_length and max_length go to the ListSerializer (not in the stubs)
    bands = BandIn(many=True, min_length=2, max_length=20)  # type: ignore[call-arg]
    grade_months = serializers.BooleanField()
    grade_quarters = serializers.BooleanField()
    grade_years = serializers.BooleanField()
    grouping = serializers.ChoiceField(choices=Grouping.choices)
    publish_rule = serializers.ChoiceField(choices=PublishRule.choices)


# --- calibrations/ ---------------------------------------------------------------------


class CalibrationOut(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.IntegerField(source="period_id")
    period_label = serializers.CharField(source="period.label")
    period_kind = serializers.CharField(source="period.kind")
    state = serializers.ChoiceField(choices=CalibrationState.choices)
    opened_by = serializers.CharField(source="opened_by.username", default=None, allow_null=True)
    opened_by_name = PersonName(source="opened_by")
    opened_at = serializers.DateTimeField()
    published_by = serializers.CharField(
        source="published_by.username", default=None, allow_null=True
    )
    published_by_name = PersonName(source="published_by")
    published_at = serializers.DateTimeField(allow_null=True)
    override_reason = serializers.CharField(
        help_text="Why it was published although a group broke the guideline; else empty."
    )


class CalibrationOpenIn(StrictInput, serializers.Serializer):
    period = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.period_list(org=org)
    )


class MoveIn(StrictInput, serializers.Serializer):
    department = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: dept_selectors.department_list(org=org)
    )
    grade = serializers.CharField(max_length=GRADE_LABEL, help_text="A label of the scale.")
    reason = serializers.CharField(
        max_length=REASON_MAX,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required, unless the grade goes back to the computed one.",
    )


class PublishIn(StrictInput, serializers.Serializer):
    override_reason = serializers.CharField(
        max_length=REASON_MAX,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required to publish while a group breaks the guideline, where the "
        "organization allows it (publish_rule `override`).",
    )


class ReopenIn(StrictInput, serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX, allow_blank=True)


class RowAppealOut(serializers.Serializer):
    """A department's appeal of its published grade, as its board row shows it (the row
    names the department)."""

    id = serializers.IntegerField()
    grade = serializers.CharField(help_text="The published grade appealed against.")
    reason = serializers.CharField(help_text="Why the manager appeals.")
    raised_by = serializers.CharField(source="raised_by.username", default=None, allow_null=True)
    raised_by_name = PersonName(source="raised_by")
    raised_at = serializers.DateTimeField()
    state = serializers.ChoiceField(
        choices=AppealState.choices,
        help_text="`open` (waiting for a decision), `upheld` (the grade stands) or `changed`.",
    )
    new_grade = GradeOrNull(help_text="The grade it was changed to; null unless `changed`.")
    resolution = serializers.CharField(help_text="Why it was decided so; empty while open.")
    resolved_by = serializers.CharField(
        source="resolved_by.username", default=None, allow_null=True
    )
    resolved_by_name = PersonName(source="resolved_by")
    resolved_at = serializers.DateTimeField(allow_null=True)


class AppealOut(RowAppealOut):
    """A manager's appeal of a department's published grade (once per department and
    calibration) and, once decided, HR's or an executive's resolution."""

    calibration = serializers.IntegerField(source="calibration_id")
    department = serializers.IntegerField(source="department_id")
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")


class AppealIn(StrictInput, serializers.Serializer):
    department = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: dept_selectors.department_list(org=org),
        help_text="A department the caller manages, with a published grade in the calibration.",
    )
    reason = serializers.CharField(max_length=REASON_MAX, allow_blank=True)


class ResolveIn(StrictInput, serializers.Serializer):
    grade = serializers.CharField(
        max_length=GRADE_LABEL,
        help_text="A label of the scale: the appealed grade upholds it, another changes the "
        "published grade and its coefficient.",
    )
    reason = serializers.CharField(max_length=REASON_MAX, allow_blank=True)


class BoardRowOut(serializers.Serializer):
    department = serializers.IntegerField(source="department.pk")
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    kind = serializers.CharField(source="department.kind")
    group = serializers.CharField(help_text="management, business or company")
    score = serializers.DecimalField(
        max_digits=9,
        decimal_places=4,
        allow_null=True,
        help_text="The rolled-up score; null without a score (no grade).",
    )
    computed_grade = GradeOrNull(source="computed")
    final_grade = GradeOrNull(source="final")
    coefficient = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)
    reason = serializers.CharField(help_text="Why the grade was moved; empty if it was not.")
    moved = serializers.BooleanField()
    moved_by = serializers.CharField(source="moved_by.username", default=None, allow_null=True)
    moved_by_name = PersonName(source="moved_by")
    appeal = RowAppealOut(
        allow_null=True, help_text="The department's appeal of its published grade, or null."
    )


class GradeCountOut(serializers.Serializer):
    """How many departments of a group have a grade (the rules keep (label, count) pairs)."""

    label = serializers.CharField()  # type: ignore[assignment]  # Field.label in the stubs
    count = serializers.IntegerField()

    def to_representation(self, instance):
        label, count = instance
        return {"label": label, "count": count}


class LimitOut(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # Field.label in the stubs
    kind = serializers.CharField(help_text="`max` (at most) or `min` (at least).")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    bound = serializers.IntegerField(
        help_text="At most (max) or at least (min) this many departments of the group."
    )
    count = serializers.IntegerField()
    met = serializers.BooleanField()


class GroupCheckOut(serializers.Serializer):
    group = serializers.CharField()
    n = serializers.IntegerField(help_text="Graded departments in the group.")
    counts = GradeCountOut(many=True, help_text="Every grade of the scale, best first.")
    limits = LimitOut(many=True)
    met = serializers.BooleanField()


class EventOut(serializers.Serializer):
    action = serializers.ChoiceField(choices=CalibrationAction.choices)
    department = serializers.IntegerField(source="department_id", allow_null=True)
    department_code = serializers.CharField(source="department.code", default=None, allow_null=True)
    from_grade = GradeOrNull()
    to_grade = GradeOrNull()
    reason = serializers.CharField()
    by = serializers.CharField(source="by.username", default=None, allow_null=True)
    by_name = PersonName(source="by")
    at = serializers.DateTimeField()


class BoardOut(serializers.Serializer):
    """A calibration: every active department's score, computed and final grade (live while
    open, frozen once published), each group's distribution against the guideline, and
    every opening, move, publication and reopening."""

    calibration = CalibrationOut()
    met = serializers.BooleanField(help_text="Every group meets the guideline.")
    rows = BoardRowOut(many=True)
    checks = GroupCheckOut(many=True)
    events = EventOut(many=True)


# --- grades/ ---------------------------------------------------------------------------


class GradeOut(serializers.Serializer):
    """A published grade, frozen at publication (for payroll)."""

    department = serializers.IntegerField(source="department_id")
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    calibration = serializers.IntegerField(
        source="calibration_id", help_text="Where to appeal it (calibrations/{id}/appeals/)."
    )
    period = serializers.IntegerField(source="calibration.period_id")
    period_label = serializers.CharField(source="calibration.period.label")
    group = serializers.CharField()
    score = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    computed_grade = GradeOrNull(source="computed")
    final_grade = GradeOrNull(source="final")
    coefficient = serializers.DecimalField(max_digits=6, decimal_places=3, allow_null=True)
    reason = serializers.CharField()
