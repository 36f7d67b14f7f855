"""Serializers of reviews/ and feedback/."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from departments import selectors as dept_selectors
from departments.api.serializers import OrgScopedPrimaryKeyField
from metrics import selectors as metric_selectors
from perfhub.api import PersonName, StrictInput

from ..models import (
    CriterionUse,
    Feedback,
    FeedbackCriterion,
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


class FeedbackRatingOut(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id", read_only=True)
    criterion_name = serializers.CharField(
        source="criterion.display_name", read_only=True, help_text="In the caller's language."
    )
    rating = serializers.IntegerField(read_only=True, min_value=1, max_value=5)
    comment = serializers.CharField(read_only=True)


class FeedbackOut(serializers.ModelSerializer):
    """Who rated is shown by the anonymity rule (reviews.selectors.feedback_rater_hidden):
    `rated_by` is null for a caller who may not see it (or when it was not recorded), and
    `rater_department` is null too when that department alone would name the person."""

    rater_department = serializers.IntegerField(
        source="shown_rater_department.pk",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Null when anonymity hides it (the department has a single manager).",
    )
    rated_by = serializers.CharField(
        source="shown_rated_by.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Username of the manager who rated; null when hidden or not recorded.",
    )
    rated_by_name = PersonName(source="shown_rated_by")
    rater_hidden = serializers.BooleanField(
        read_only=True, help_text="Whether anonymity hides the rater from the caller."
    )
    ratings = FeedbackRatingOut(many=True, read_only=True)
    average = serializers.DecimalField(
        max_digits=6,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text="The average of the ratings over the criteria.",
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "period",
            "direction",
            "rater_department",
            "rated_department",
            "rated_by",
            "rated_by_name",
            "rater_hidden",
            "ratings",
            "average",
            "comment",
            "updated_at",
        ]
        read_only_fields = fields


class FeedbackRatingIn(StrictInput, serializers.Serializer):
    criterion = serializers.IntegerField(help_text="Id of a feedback criterion.")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FeedbackRatingsIn(StrictInput, serializers.Serializer):
    ratings = FeedbackRatingIn(
        many=True,
        required=False,
        help_text="A rating on every active criterion asked in the feedback's direction.",
    )
    rating = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        help_text="Instead of `ratings`: the same rating on every criterion asked.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if ("ratings" in attrs) == ("rating" in attrs):
            raise serializers.ValidationError(
                {"ratings": [_("Give `ratings` (one per criterion) or one `rating`.")]}
            )
        return attrs


class FeedbackIn(FeedbackRatingsIn):
    period = OrgScopedPrimaryKeyField(scoped_queryset=_periods)
    rater_department = OrgScopedPrimaryKeyField(scoped_queryset=_departments)
    rated_department = OrgScopedPrimaryKeyField(scoped_queryset=_departments)


class FeedbackUpdateIn(FeedbackRatingsIn):
    pass


class FeedbackCriterionOut(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True, help_text="In the caller's language.")

    class Meta:
        model = FeedbackCriterion
        fields = ["id", "name", "name_en", "display_name", "applies_to", "position", "is_active"]


class FeedbackCriterionIn(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    applies_to = serializers.ChoiceField(choices=CriterionUse.choices, default=CriterionUse.BOTH)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(default=True)


class FeedbackCriterionUpdateIn(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    applies_to = serializers.ChoiceField(choices=CriterionUse.choices, required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    is_active = serializers.BooleanField(required=False)
