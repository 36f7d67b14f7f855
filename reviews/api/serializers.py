"""Serializers of reviews/ and feedback/."""

from rest_framework import serializers

from departments import selectors as dept_selectors
from departments.api.serializers import OrgScopedPrimaryKeyField
from metrics import selectors as metric_selectors
from perfhub.api import PersonName, StrictInput

from ..models import (
    Feedback,
    Review,
    ReviewTransition,
    StepRole,
)


def _departments(org):
    return dept_selectors.department_list(org=org)


def _periods(org):
    return metric_selectors.period_list(org=org)


class ReviewTransitionOut(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True, allow_null=True)
    by_name = PersonName(source="by")

    class Meta:
        model = ReviewTransition
        fields = [
            "from_status",
            "to_status",
            "from_step",
            "to_step",
            "by",
            "by_name",
            "at",
            "comment",
        ]
        extra_kwargs = {
            "from_step": {"help_text": "Id of the step the review left."},
            "to_step": {"help_text": "Id of the step it reached; null when approved."},
        }


class ReviewStepOut(serializers.Serializer):
    """A step of the organization's review workflow."""

    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    role = serializers.ChoiceField(
        choices=StepRole.choices, read_only=True, help_text="Who holds the step."
    )
    # The metaclass takes declared fields out of the class: `label` does not shadow
    # Field.label at run time, only for the type checker.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text="Its name, in the caller's language."
    )


class ReviewProgressOut(ReviewStepOut):
    state = serializers.ChoiceField(
        choices=["done", "current", "next"],
        read_only=True,
        help_text="Done, where the review waits now, or still to come.",
    )


class ReviewOut(serializers.ModelSerializer):
    decided_by = serializers.CharField(
        source="decided_by.username", default=None, read_only=True, allow_null=True
    )
    decided_by_name = PersonName(source="decided_by")
    transitions = ReviewTransitionOut(many=True, read_only=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["submit", "forward", "approve", "return"]),
        read_only=True,
        help_text="The moves the caller may make now.",
    )
    current_step = ReviewStepOut(
        source="position.step",
        read_only=True,
        allow_null=True,
        help_text="The step the review waits at; null once approved.",
    )
    steps = ReviewProgressOut(
        source="progress", many=True, read_only=True, help_text="The workflow, in order."
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "department",
            "period",
            "status",
            "self_assessment",
            "improvement_plan",
            "executive_comment",
            "return_reason",
            "submitted_at",
            "decided_at",
            "decided_by",
            "decided_by_name",
            "created_at",
            "updated_at",
            "current_step",
            "steps",
            "actions",
            "transitions",
        ]


class ReviewIn(StrictInput, serializers.Serializer):
    department = OrgScopedPrimaryKeyField(scoped_queryset=_departments)
    period = OrgScopedPrimaryKeyField(scoped_queryset=_periods)
    self_assessment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10000
    )
    improvement_plan = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10000
    )


class ReviewTextIn(StrictInput, serializers.Serializer):
    self_assessment = serializers.CharField(allow_blank=True, max_length=10000)
    improvement_plan = serializers.CharField(allow_blank=True, max_length=10000)


class ReviewDecisionIn(StrictInput, serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Required to return a review: the reason.",
    )


class FeedbackOut(serializers.ModelSerializer):
    """Never names the person who rated: only the rating department (it is not stored)."""

    class Meta:
        model = Feedback
        fields = [
            "id",
            "period",
            "rater_department",
            "rated_department",
            "rating",
            "comment",
            "updated_at",
        ]


class FeedbackIn(StrictInput, serializers.Serializer):
    period = OrgScopedPrimaryKeyField(scoped_queryset=_periods)
    rater_department = OrgScopedPrimaryKeyField(scoped_queryset=_departments)
    rated_department = OrgScopedPrimaryKeyField(scoped_queryset=_departments)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FeedbackUpdateIn(StrictInput, serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
