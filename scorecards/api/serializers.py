"""Serializers of scorecards/, scorecard-comments/, dashboard/, recalculations/, goals/ and
actions/."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from departments import selectors as dept_selectors
from departments.api.serializers import OrgScopedPrimaryKeyField
from departments.selectors import membership_list
from metrics import selectors as metric_selectors
from metrics.models import Perspective
from perfhub.api import PersonName, StrictInput

from ..models import (
    ActionStatus,
    OrgScorecard,
    RecalculationRun,
    Scorecard,
    ScorecardLine,
    Status,
)
from ..selectors import goals as goal_selectors
from ..services import ACTION_TITLE_MAX, COMMENT_MAX


def _then(source: str, what: str, **digits) -> serializers.DecimalField:
    """A nullable decimal of a comparison (issue 20), a string like every value served."""
    return serializers.DecimalField(
        source=source,
        allow_null=True,
        coerce_to_string=True,
        read_only=True,
        help_text=what,
        **({"max_digits": 9, "decimal_places": 4} | digits),
    )


NO_THEN = " Null when there is nothing to compare with (never 0)."


class LineCompareOut(serializers.Serializer):
    """A KPI line against the period it is compared with."""

    actual = _then("actual.value", "The actual then." + NO_THEN, max_digits=20, decimal_places=6)
    actual_change = _then(
        "actual.change",
        "actual − the actual then; null when either is missing.",
        max_digits=21,
        decimal_places=6,
    )
    actual_change_percent = _then(
        "actual.percent",
        "The change in % of the actual then (one decimal); null when either is missing or "
        "the actual then is 0.",
        max_digits=None,
        decimal_places=1,
    )
    score = _then("score.value", "The score then (null when it was not scored)." + NO_THEN)
    score_change = _then(
        "score.change",
        "score − the score then, in points; null when either is missing.",
        max_digits=10,
    )


class ScorecardCompareOut(serializers.Serializer):
    """A department's scores against the period they are compared with."""

    score = _then("score.value", "The department's own score then." + NO_THEN)
    score_change = _then(
        "score.change",
        "score − the score then, in points; null when either is missing.",
        max_digits=10,
    )
    rolled_up_score = _then(
        "rolled_up_score.value", "The score with sub-departments then." + NO_THEN
    )
    rolled_up_score_change = _then(
        "rolled_up_score.change",
        "rolled_up_score − the one then, in points; null when either is missing.",
        max_digits=10,
    )


class IndexCompareOut(serializers.Serializer):
    """The organization's indices against the period they are compared with."""

    period = serializers.IntegerField(
        source="previous.period_id",
        allow_null=True,
        default=None,
        read_only=True,
        help_text="The period compared with, when its indices are stored; else null.",
    )
    company_index = _then("indices.company_index.value", "The company index then." + NO_THEN)
    company_index_change = _then(
        "indices.company_index.change",
        "Change in points; null when either is missing.",
        max_digits=10,
    )
    management_index = _then(
        "indices.management_index.value", "The management index then." + NO_THEN
    )
    management_index_change = _then(
        "indices.management_index.change",
        "Change in points; null when either is missing.",
        max_digits=10,
    )
    business_index = _then("indices.business_index.value", "The business index then." + NO_THEN)
    business_index_change = _then(
        "indices.business_index.change",
        "Change in points; null when either is missing.",
        max_digits=10,
    )
    balance_gap = _then("indices.balance_gap.value", "The balance gap then." + NO_THEN)
    balance_gap_change = _then(
        "indices.balance_gap.change",
        "Change in points; null when either is missing.",
        max_digits=10,
    )


YOY_HELP = "Against the same period a year before (同比, year on year)."
POP_HELP = "Against the previous period of the same kind (环比, period on period)."


class LineOut(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="kpi.indicator.code", read_only=True)
    unit = serializers.CharField(source="kpi.indicator.unit", read_only=True)
    not_scored_reason = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Why the line is not scored: inactive, weight_0, no_target, target_period "
        "(a longer target period: scored in that period) or changed (settings changed since "
        "it was computed); null when it is scored.",
    )
    not_scored_message = serializers.CharField(
        read_only=True, help_text="The same reason in the request's language; empty if scored."
    )
    yoy = LineCompareOut(source="compare.yoy", read_only=True, help_text=YOY_HELP)
    pop = LineCompareOut(source="compare.pop", read_only=True, help_text=POP_HELP)

    class Meta:
        model = ScorecardLine
        fields = [
            "kpi",
            "indicator_code",
            "unit",
            "weight",
            "actual",
            "months_with_value",
            "target",
            "threshold",
            "target_max",
            "scored",
            "not_scored_reason",
            "not_scored_message",
            "score",
            "status",
            "computed_at",
            "yoy",
            "pop",
        ]


class ScorecardOut(serializers.ModelSerializer):
    lines = LineOut(many=True, read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    pending = serializers.SerializerMethodField()
    yoy = ScorecardCompareOut(source="compare.yoy", read_only=True, help_text=YOY_HELP)
    pop = ScorecardCompareOut(source="compare.pop", read_only=True, help_text=POP_HELP)

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "department",
            "department_code",
            "period",
            "score",
            "rolled_up_score",
            "coverage",
            "status",
            "kpi_count",
            "red_count",
            "inputs_count",
            "inputs_latest",
            "computed_at",
            "pending",
            "yoy",
            "pop",
            "lines",
        ]

    def get_pending(self, obj) -> bool:
        # From a set loaded once per request (context), not a query per row.
        return obj.period_id in self.context.get("pending", set())


class RankingRow(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    kind = serializers.CharField(source="department.kind")
    yoy = ScorecardCompareOut(source="compare.yoy", read_only=True, help_text=YOY_HELP)
    pop = ScorecardCompareOut(source="compare.pop", read_only=True, help_text=POP_HELP)

    class Meta:
        model = Scorecard
        fields = [
            "department",
            "department_code",
            "department_name",
            "kind",
            "score",
            "rolled_up_score",
            "coverage",
            "status",
            "yoy",
            "pop",
        ]


class DashboardOut(serializers.ModelSerializer):
    pending = serializers.BooleanField()
    yoy = IndexCompareOut(source="compare.yoy", read_only=True, help_text=YOY_HELP)
    pop = IndexCompareOut(source="compare.pop", read_only=True, help_text=POP_HELP)
    ranking = RankingRow(many=True)

    class Meta:
        model = OrgScorecard
        fields = [
            "period",
            "management_index",
            "business_index",
            "company_index",
            "balance_gap",
            "management_coverage",
            "business_coverage",
            "management_count",
            "business_count",
            "computed_at",
            "pending",
            "yoy",
            "pop",
            "ranking",
        ]


class RecalculationIn(StrictInput, serializers.Serializer):
    period = serializers.IntegerField()


class RecalculationOut(serializers.ModelSerializer):
    class Meta:
        model = RecalculationRun
        fields = [
            "id",
            "state",
            "periods_total",
            "periods_done",
            "lines_written",
            "attempts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class GoalLinkOut(serializers.Serializer):
    kpi = serializers.IntegerField(source="link.kpi_id")
    indicator_code = serializers.CharField(source="link.kpi.indicator.code")
    department = serializers.IntegerField(source="link.kpi.department_id")
    kind = serializers.CharField(source="link.kpi.department.kind")
    weight = serializers.DecimalField(source="link.weight", max_digits=7, decimal_places=3)
    score = serializers.DecimalField(
        source="line.score", max_digits=9, decimal_places=4, allow_null=True, default=None
    )


class GoalOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    period = serializers.IntegerField(source="period_id")
    progress = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    management = GoalLinkOut(many=True, source="sides.management")
    business = GoalLinkOut(many=True, source="sides.business")


class GoalLinkIn(StrictInput, serializers.Serializer):
    kpi = OrgScopedPrimaryKeyField(scoped_queryset=lambda org: metric_selectors.kpi_list(org=org))
    weight = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0, default=1)


class GoalIn(StrictInput, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    period = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.period_list(org=org)
    )
    links = GoalLinkIn(many=True, allow_empty=False)


class CommentOut(serializers.Serializer):
    """An executive's or HR's comment on a department's scorecard of a period (`kpi` null)
    or on one of its lines."""

    id = serializers.IntegerField()
    department = serializers.IntegerField(source="department_id")
    period = serializers.IntegerField(source="period_id")
    kpi = serializers.IntegerField(
        source="kpi_id", allow_null=True, help_text="The line's KPI; null for the whole card."
    )
    text = serializers.CharField()
    by = serializers.CharField(source="by.username", default=None, allow_null=True)
    by_name = PersonName(source="by")
    at = serializers.DateTimeField()


class CommentIn(StrictInput, serializers.Serializer):
    department = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: dept_selectors.department_list(org=org)
    )
    period = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.period_list(org=org)
    )
    kpi = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.kpi_list(org=org),
        allow_null=True,
        required=False,
        default=None,
        help_text="A KPI of the department, to comment on its line; omit or null for the "
        "scorecard as a whole.",
    )
    text = serializers.CharField(max_length=COMMENT_MAX, allow_blank=True)


# --- actions/ (issue 19 "Action plans") -------------------------------------------------


def _member_users(org):
    return get_user_model().objects.filter(pk__in=membership_list(org=org).values("user_id"))


class ActionOut(serializers.Serializer):
    """An action on a red or amber KPI line (`kpi` in `period`, of `department`) or on a
    company goal behind plan (`goal`; `department` and `kpi` null)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    department = serializers.IntegerField(source="department_id", allow_null=True)
    period = serializers.IntegerField(source="period_id")
    kpi = serializers.IntegerField(source="kpi_id", allow_null=True)
    indicator_code = serializers.CharField(
        source="kpi.indicator.code", allow_null=True, default=None
    )
    goal = serializers.IntegerField(source="goal_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = PersonName(source="owner")
    due_date = serializers.DateField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    overdue = serializers.BooleanField(source="is_overdue")
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class ActionIn(StrictInput, serializers.Serializer):
    """A new action: either `kpi` and `period` (a red or amber line) or `goal` (behind
    plan)."""

    kpi = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.kpi_list(org=org),
        allow_null=True,
        required=False,
        default=None,
    )
    period = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: metric_selectors.period_list(org=org),
        allow_null=True,
        required=False,
        default=None,
        help_text="The period of the KPI line (with `kpi`).",
    )
    goal = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: goal_selectors.goal_list(org=org),
        allow_null=True,
        required=False,
        default=None,
    )
    title = serializers.CharField(max_length=ACTION_TITLE_MAX, allow_blank=True)
    owner = OrgScopedPrimaryKeyField(scoped_queryset=_member_users, help_text="A member's user id.")
    due_date = serializers.DateField()


class ActionUpdateIn(StrictInput, serializers.Serializer):
    """Move an action along (`status`); reassign (`owner`), re-date (`due_date`) or
    retitle (`title`) it - those three are for the people who may plan it, not its owner."""

    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)
    title = serializers.CharField(max_length=ACTION_TITLE_MAX, required=False, allow_blank=True)
    owner = OrgScopedPrimaryKeyField(scoped_queryset=_member_users, required=False)
    due_date = serializers.DateField(required=False)


PERSPECTIVE_SCORE: dict = {
    "max_digits": 9,
    "decimal_places": 4,
    "allow_null": True,
    "read_only": True,
}


class PerspectiveOut(serializers.Serializer):
    """One perspective of a department: its score (its lines' weighted mean, weights
    renormalised within it; null without a score), status and how many lines it has."""

    perspective = serializers.ChoiceField(choices=Perspective.choices, read_only=True)
    score = serializers.DecimalField(**PERSPECTIVE_SCORE)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    lines = serializers.SerializerMethodField()

    def get_lines(self, obj) -> int:
        return len(obj.lines)


class CompanyPerspectiveOut(serializers.Serializer):
    """One perspective of the company: the mean of the departments' scores in it (null when
    none has one), its status and how many departments have a score in it."""

    perspective = serializers.ChoiceField(choices=Perspective.choices, read_only=True)
    score = serializers.DecimalField(**PERSPECTIVE_SCORE)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    departments = serializers.IntegerField(source="count", read_only=True)


class BscDepartmentOut(serializers.Serializer):
    department = serializers.IntegerField(source="department.pk", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    department_name = serializers.CharField(source="department.display_name", read_only=True)
    perspectives = PerspectiveOut(many=True, read_only=True)


class BscOut(serializers.Serializer):
    """The balanced scorecard of a period (docs/balanced-scorecard.md)."""

    period = serializers.IntegerField(read_only=True)
    pending = serializers.BooleanField(read_only=True)
    perspectives = CompanyPerspectiveOut(many=True, read_only=True)
    departments = BscDepartmentOut(many=True, read_only=True)
