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
        fields = ["from_status", "to_status", "by", "by_name", "at", "comment"]


class ReviewOut(serializers.ModelSerializer):
    decided_by = serializers.CharField(
        source="decided_by.username", default=None, read_only=True, allow_null=True
    )
    decided_by_name = PersonName(source="decided_by")
    transitions = ReviewTransitionOut(many=True, read_only=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["submit", "approve", "return"]),
        read_only=True,
        help_text="The transitions the caller may take now.",
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
