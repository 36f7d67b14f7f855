"""reviews/ and feedback/ (SPEC §6)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import (
    can_configure,
    can_write_review,
    is_member,
    visible_department_ids,
)
from perfhub.api import int_param
from perfhub.tenancy import get_or_404

from .. import selectors
from ..models import Feedback, FeedbackCriterion, FeedbackDirection, Review, ReviewTransition
from ..services.criteria import (
    criterion_create,
    criterion_delete,
    criterion_update,
    feedback_criteria,
)
from ..services.feedback import (
    Rated,
    feedback_delete,
    feedback_direction,
    feedback_save,
    ratings_same,
)
from ..services.reviews import review_act, review_actions, review_save
from ..services.steps import review_position, review_steps
from .serializers import (
    FeedbackCriterionIn,
    FeedbackCriterionOut,
    FeedbackCriterionUpdateIn,
    FeedbackIn,
    FeedbackOut,
    FeedbackUpdateIn,
    ReviewDecisionIn,
    ReviewIn,
    ReviewOut,
    ReviewTextIn,
)


class ReviewViewSet(OrgViewSet):
    """Department reviews. Admin, HR and executives read every review, a manager those of
    the departments they manage. A review goes through the organization's steps
    (`steps`, `current_step`): the manager writes the self-assessment and plan and
    `submit`s from the first step; whoever holds a later step (HR, or an executive; an
    admin may act for either) `forward`s it to the next step, `approve`s it at the last
    one, or `return`s it one step back with a reason (`status` becomes `returned` when it
    is back with the manager). Only these moves exist."""

    serializer_class = ReviewOut
    write_predicate = staticmethod(is_member)  # the service checks who may do what

    @property
    def schema_model(self):

        return Review

    def scoped_queryset(self):

        ids = visible_department_ids(self.membership)
        wanted = int_param(self.request, "department")
        if wanted is not None:
            ids = [wanted] if ids is None or wanted in ids else []
        return selectors.review_list(
            org=self.org,
            period_id=int_param(self.request, "period"),
            department_ids=ids,
            status=self.request.query_params.get("status") or None,
        ).prefetch_related(
            Prefetch(
                "transitions",
                queryset=ReviewTransition.objects.for_org(self.org).select_related("by"),
            )
        )

    def _get(self, pk):
        ids = visible_department_ids(self.membership)
        return get_or_404(
            selectors.review_list(org=self.org, department_ids=ids).prefetch_related(
                "transitions__by"
            ),
            pk,
        )

    def _annotate(self, reviews) -> None:
        """Each review's place on the steps and the caller's moves (the steps read once)."""
        steps = review_steps(org=self.org)
        for review in reviews:
            review.position = review_position(review, steps)
            review.progress = [
                {"id": s.pk, "position": s.position, "role": s.role, "label": s.label, "state": st}
                for s, st in review.position.progress()
            ]
            review.actions = review_actions(review, self.membership, steps)

    def _out(self, review, status_code=status.HTTP_200_OK):
        review = self._get(review.pk)
        self._annotate([review])
        return Response(ReviewOut(review).data, status=status_code)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("department", int, description="Department id"),
            OpenApiParameter("status", str, enum=["draft", "submitted", "approved", "returned"]),
        ]
    )
    def list(self, request, org_slug):
        page = list(self.paginate_queryset(self.get_queryset()))
        self._annotate(page)
        return self.get_paginated_response(ReviewOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return self._out(self._get(pk))

    @extend_schema(request=ReviewIn, responses={201: ReviewOut})
    def create(self, request, org_slug):
        data = ReviewIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        review = review_save(org=self.org, membership=self.membership, **v)
        return self._out(review, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewTextIn, responses={200: ReviewOut})
    def update(self, request, org_slug, pk):
        review = self._get(pk)
        data = ReviewTextIn(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_save(
            org=self.org,
            membership=self.membership,
            department=review.department,
            period=review.period,
            **data.validated_data,
        )
        return self._out(review)

    def _transition(self, request, pk, name):
        review = self._get(pk)
        data = ReviewDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_act(
            org=self.org,
            membership=self.membership,
            department=review.department,
            period=review.period,
            action=name,
            comment=data.validated_data["comment"],
        )
        return self._out(review)

    @extend_schema(request=ReviewDecisionIn, responses={200: ReviewOut})
    @action(detail=True, methods=["post"])
    def submit(self, request, org_slug, pk):
        return self._transition(request, pk, "submit")

    @extend_schema(request=ReviewDecisionIn, responses={200: ReviewOut})
    @action(detail=True, methods=["post"])
    def forward(self, request, org_slug, pk):
        """Pass the review on from a step that is not the last (an HR check, say) to the
        next one; an optional `comment` is kept in its history."""
        return self._transition(request, pk, "forward")

    @extend_schema(request=ReviewDecisionIn, responses={200: ReviewOut})
    @action(detail=True, methods=["post"])
    def approve(self, request, org_slug, pk):
        return self._transition(request, pk, "approve")

    @extend_schema(request=ReviewDecisionIn, responses={200: ReviewOut})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, org_slug, pk):
        return self._transition(request, pk, "return")


class FeedbackViewSet(OrgViewSet):
    """Feedback between departments, both ways (`direction`): business departments rate
    management departments' support, management departments rate business departments'
    cooperation, each on the organization's criteria (`ratings`: 1-5 and an optional
    comment per criterion; or one `rating` for every criterion), one feedback per pair and
    period, editable until the period locks. Admin, HR and executives read all of it; a
    manager reads what their departments gave and received. Only a manager of the rating
    department writes its feedback. Who rated (`rated_by`) is shown to HR and admins
    always, to others only when the organization's `feedback_anonymous` is off."""

    serializer_class = FeedbackOut
    write_predicate = staticmethod(is_member)

    @property
    def schema_model(self):

        return Feedback

    def scoped_queryset(self):
        qs = selectors.feedback_list(
            org=self.org,
            period_id=int_param(self.request, "period"),
        )
        for name in ("rater_department", "rated_department"):
            wanted = int_param(self.request, name)
            if wanted is not None:
                qs = qs.filter(**{f"{name}_id": wanted})
        direction = self.request.query_params.get("direction")
        if direction:
            qs = qs.filter(direction=direction)
        ids = visible_department_ids(self.membership)
        if ids is not None:
            qs = qs.filter(Q(rater_department_id__in=ids) | Q(rated_department_id__in=ids))
        return qs.order_by("-period__start", "rated_department__code", "rater_department__code")

    def _get(self, pk):
        return get_or_404(self.scoped_queryset(), pk)

    def _may_rate(self, department):
        if not can_write_review(self.membership, department):
            raise PermissionDenied(_("Only a manager of %s gives its feedback.") % department)

    def _shown(self, feedback):
        """The feedback as the caller may see it (anonymity applied, average set)."""
        feedback = list(feedback)
        selectors.feedback_rater_views(org=self.org, membership=self.membership, feedback=feedback)
        for f in feedback:
            f.average = selectors.feedback_average(f)
        return feedback

    def _out(self, feedback, status_code=status.HTTP_200_OK):
        feedback = self._get(feedback.pk)
        return Response(FeedbackOut(self._shown([feedback])[0]).data, status=status_code)

    def _ratings(self, data, direction):
        if "rating" in data:
            criteria = feedback_criteria(org=self.org)
            return ratings_same(criteria, direction, data["rating"]) if direction else []
        return [Rated(**r) for r in data["ratings"]]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("rater_department", int, description="Rating department id"),
            OpenApiParameter("rated_department", int, description="Rated department id"),
            OpenApiParameter("direction", str, enum=FeedbackDirection.values),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedbackOut(self._shown(page), many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(FeedbackOut(self._shown([self._get(pk)])[0]).data)

    @extend_schema(request=FeedbackIn, responses={201: FeedbackOut})
    def create(self, request, org_slug):
        data = FeedbackIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        self._may_rate(v["rater_department"])
        direction = feedback_direction(v["rater_department"], v["rated_department"])
        feedback = feedback_save(
            org=self.org,
            period=v["period"],
            rater_department=v["rater_department"],
            rated_department=v["rated_department"],
            ratings=self._ratings(v, direction),
            comment=v["comment"],
            by=request.user,
        )
        return self._out(feedback, status.HTTP_201_CREATED)

    @extend_schema(request=FeedbackUpdateIn, responses={200: FeedbackOut})
    def update(self, request, org_slug, pk):
        feedback = self._get(pk)
        self._may_rate(feedback.rater_department)
        data = FeedbackUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        feedback = feedback_save(
            org=self.org,
            period=feedback.period,
            rater_department=feedback.rater_department,
            rated_department=feedback.rated_department,
            ratings=self._ratings(v, feedback.direction),
            comment=v["comment"],
            by=request.user,
        )
        return self._out(feedback)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        feedback = self._get(pk)
        self._may_rate(feedback.rater_department)
        feedback_delete(org=self.org, feedback=feedback)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedbackCriterionViewSet(OrgViewSet):
    """The organization's feedback criteria, in order (`position`): every member reads
    them; admin and HR add, change (`applies_to`: asked both ways, only on support or only
    on cooperation; `is_active`) and delete those nobody rated yet (one with ratings is
    switched off instead). At least one active criterion is always asked on support."""

    serializer_class = FeedbackCriterionOut
    write_predicate = staticmethod(can_configure)

    def scoped_queryset(self):
        feedback_criteria(org=self.org)  # the defaults, on first use
        return FeedbackCriterion.objects.for_org(self.org).order_by("position", "pk")

    def _get(self, pk):
        return get_or_404(self.scoped_queryset(), pk)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedbackCriterionOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(FeedbackCriterionOut(self._get(pk)).data)

    @extend_schema(request=FeedbackCriterionIn, responses={201: FeedbackCriterionOut})
    def create(self, request, org_slug):
        data = FeedbackCriterionIn(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = criterion_create(
            org=self.org, membership=self.membership, **data.validated_data
        )
        return Response(FeedbackCriterionOut(criterion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FeedbackCriterionUpdateIn, responses={200: FeedbackCriterionOut})
    def update(self, request, org_slug, pk):
        criterion = self._get(pk)
        data = FeedbackCriterionUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        criterion = criterion_update(
            org=self.org, membership=self.membership, criterion=criterion, **data.validated_data
        )
        return Response(FeedbackCriterionOut(criterion).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        criterion_delete(org=self.org, membership=self.membership, criterion=self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
