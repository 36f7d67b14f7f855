"""scorecards/, dashboard/, recalculations/, goals/, reviews/ and feedback/ (SPEC §6)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import (
    can_configure,
    can_view_all,
    can_view_company,
    can_write_review,
    is_member,
)
from metrics import selectors as metric_selectors

from .. import selectors
from ..services import (
    feedback_delete,
    feedback_save,
    goal_save,
    review_actions,
    review_save,
    review_transition,
)
from ..tasks import request_full_recalculation
from .serializers import (
    DashboardOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackUpdateIn,
    GoalIn,
    GoalOut,
    RecalculationIn,
    RecalculationOut,
    ReviewDecisionIn,
    ReviewIn,
    ReviewOut,
    ReviewTextIn,
    ScorecardOut,
)


def _int_param(request, name):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({name: [_("Enter a whole number.")]}) from None


class ScorecardViewSet(OrgViewSet):
    """Department scorecards with their lines. Admin, HR and executives see every
    department; a manager those they manage."""

    serializer_class = ScorecardOut

    def scoped_queryset(self):
        department_ids = None
        if not can_view_all(self.membership):
            department_ids = self.membership.managed_ids
        wanted = _int_param(self.request, "department")
        if wanted is not None:
            department_ids = [wanted] if department_ids is None or wanted in department_ids else []
        return selectors.scorecard_list(
            org=self.org,
            period_id=_int_param(self.request, "period"),
            department_ids=department_ids,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("department", int, description="Department id"),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        cards = selectors.attach_lines(org=self.org, scorecards=page)
        context = {"pending": selectors.pending_period_ids(org=self.org)}
        return self.get_paginated_response(ScorecardOut(cards, many=True, context=context).data)


class DashboardViewSet(OrgViewSet):
    """The organization in a period: indices, balance gap and the ranking of departments.
    Every member sees the company-level indices."""

    serializer_class = DashboardOut
    pagination_class = None  # one object, not a list
    read_predicate = staticmethod(can_view_company)

    def scoped_queryset(self):
        return selectors.scorecard_list(org=self.org)

    # One object (not a list): `retrieve`, so that the schema does not describe an array.
    @extend_schema(parameters=[OpenApiParameter("period", int, description="Period id")])
    def retrieve(self, request, org_slug):
        period_id = _int_param(request, "period")
        if period_id is None:
            period = selectors.latest_period_with_data(org=self.org)
            if period is None:
                raise Http404(_("No period has been computed yet."))
            period_id = period.pk
        else:
            metric_selectors.period_get(org=self.org, pk=period_id)
        row = selectors.org_scorecard(org=self.org, period_id=period_id)
        if row is None:
            raise Http404(_("This period has not been computed yet."))
        ids = None if can_view_all(self.membership) else self.membership.managed_ids
        row.ranking = selectors.ranking(org=self.org, period_id=period_id, department_ids=ids)
        row.pending = period_id in selectors.pending_period_ids(org=self.org)
        return Response(DashboardOut(row).data)


class RecalculationViewSet(OrgViewSet):
    """HR triggers a recalculation of a period and follows its progress."""

    serializer_class = RecalculationOut
    read_predicate = staticmethod(can_configure)
    write_predicate = staticmethod(can_configure)

    def scoped_queryset(self):
        from ..models import RecalculationRun

        return RecalculationRun.objects.for_org(self.org)

    def retrieve(self, request, org_slug, pk):
        return Response(RecalculationOut(selectors.recalculation_run_get(org=self.org, pk=pk)).data)

    @extend_schema(request=RecalculationIn, responses={202: RecalculationOut})
    def create(self, request, org_slug):
        data = RecalculationIn(data=request.data)
        data.is_valid(raise_exception=True)
        period = metric_selectors.period_get(org=self.org, pk=data.validated_data["period"])
        run = request_full_recalculation(org=self.org, period=period, by=request.user)
        run.refresh_from_db()
        return Response(RecalculationOut(run).data, status=status.HTTP_202_ACCEPTED)


class GoalViewSet(OrgViewSet):
    """Company goals with their progress and contributing KPIs, management and business side
    by side. Every member reads them; admin, HR and executives set them."""

    serializer_class = GoalOut
    write_predicate = staticmethod(can_view_all)

    @property
    def schema_model(self):
        from ..models import Goal

        return Goal

    def scoped_queryset(self):
        return selectors.goal_list(org=self.org, period_id=_int_param(self.request, "period"))

    def _out(self, goals):
        sides = selectors.goal_contributions(org=self.org, goals=goals)
        for goal in goals:
            goal.sides = sides[goal.pk]
        return goals

    @extend_schema(parameters=[OpenApiParameter("period", int, description="Period id")])
    def list(self, request, org_slug):
        page = self._out(list(self.paginate_queryset(self.get_queryset())))
        return self.get_paginated_response(GoalOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        goal = self._out([selectors.goal_get(org=self.org, pk=pk)])[0]
        return Response(GoalOut(goal).data)

    def _save(self, request, goal=None):
        data = GoalIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        saved = goal_save(
            org=self.org,
            by=request.user,
            goal=goal,
            title=v["title"],
            description=v["description"],
            period=v["period"],
            links=[(link["kpi"], link["weight"]) for link in v["links"]],
        )
        return self._out([selectors.goal_get(org=self.org, pk=saved.pk)])[0]

    @extend_schema(request=GoalIn, responses={201: GoalOut})
    def create(self, request, org_slug):
        return Response(GoalOut(self._save(request)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GoalIn, responses=GoalOut)
    def update(self, request, org_slug, pk):
        goal = selectors.goal_get(org=self.org, pk=pk)
        return Response(GoalOut(self._save(request, goal)).data)


class ReviewViewSet(OrgViewSet):
    """Department reviews. Admin, HR and executives read every review, a manager those of
    the departments they manage. The manager writes the self-assessment and plan and
    submits; an executive (or admin) approves or returns it with a reason. Only these
    transitions exist: `submit` (draft or returned → submitted), `approve` (submitted →
    approved), `return` (submitted → returned, a draft again for the manager)."""

    serializer_class = ReviewOut
    write_predicate = staticmethod(is_member)  # the service checks who may do what

    @property
    def schema_model(self):
        from ..models import Review

        return Review

    def scoped_queryset(self):
        from ..models import ReviewTransition

        ids = None if can_view_all(self.membership) else self.membership.managed_ids
        wanted = _int_param(self.request, "department")
        if wanted is not None:
            ids = [wanted] if ids is None or wanted in ids else []
        return selectors.review_list(
            org=self.org,
            period_id=_int_param(self.request, "period"),
            department_ids=ids,
            status=self.request.query_params.get("status") or None,
        ).prefetch_related(
            Prefetch(
                "transitions",
                queryset=ReviewTransition.objects.for_org(self.org).select_related("by"),
            )
        )

    def _get(self, pk):
        from metrics.selectors import get_or_404

        ids = None if can_view_all(self.membership) else self.membership.managed_ids
        return get_or_404(
            selectors.review_list(org=self.org, department_ids=ids).prefetch_related(
                "transitions__by"
            ),
            pk,
        )

    def _out(self, review, status_code=status.HTTP_200_OK):
        review = self._get(review.pk)
        review.actions = review_actions(review, self.membership)
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
        for review in page:
            review.actions = review_actions(review, self.membership)
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
        review = review_transition(
            org=self.org,
            membership=self.membership,
            review=review,
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
    def approve(self, request, org_slug, pk):
        return self._transition(request, pk, "approve")

    @extend_schema(request=ReviewDecisionIn, responses={200: ReviewOut})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, org_slug, pk):
        return self._transition(request, pk, "return")


class FeedbackViewSet(OrgViewSet):
    """Business departments rate the support of management departments (1-5 and a comment,
    one rating per pair and period, editable until the period locks). Admin, HR and
    executives read all of it; a manager reads what their departments gave and received.
    Only a manager of the rating department writes its ratings. The person who rated is
    never stored nor shown."""

    serializer_class = FeedbackOut
    write_predicate = staticmethod(is_member)

    @property
    def schema_model(self):
        from ..models import Feedback

        return Feedback

    def scoped_queryset(self):
        qs = selectors.feedback_list(
            org=self.org,
            period_id=_int_param(self.request, "period"),
        )
        for name in ("rater_department", "rated_department"):
            wanted = _int_param(self.request, name)
            if wanted is not None:
                qs = qs.filter(**{f"{name}_id": wanted})
        if not can_view_all(self.membership):
            from django.db.models import Q

            ids = self.membership.managed_ids
            qs = qs.filter(Q(rater_department_id__in=ids) | Q(rated_department_id__in=ids))
        return qs.order_by("-period__start", "rated_department__code", "rater_department__code")

    def _get(self, pk):
        from metrics.selectors import get_or_404

        return get_or_404(self.scoped_queryset(), pk)

    def _may_rate(self, department):
        if not can_write_review(self.membership, department):
            raise PermissionDenied(_("Only a manager of %s gives its feedback.") % department)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("rater_department", int, description="Rating department id"),
            OpenApiParameter("rated_department", int, description="Rated department id"),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedbackOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(FeedbackOut(self._get(pk)).data)

    @extend_schema(request=FeedbackIn, responses={201: FeedbackOut})
    def create(self, request, org_slug):
        data = FeedbackIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        self._may_rate(v["rater_department"])
        feedback = feedback_save(org=self.org, **v)
        return Response(FeedbackOut(feedback).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FeedbackUpdateIn, responses={200: FeedbackOut})
    def update(self, request, org_slug, pk):
        feedback = self._get(pk)
        self._may_rate(feedback.rater_department)
        data = FeedbackUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = feedback_save(
            org=self.org,
            period=feedback.period,
            rater_department=feedback.rater_department,
            rated_department=feedback.rated_department,
            **data.validated_data,
        )
        return Response(FeedbackOut(feedback).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        feedback = self._get(pk)
        self._may_rate(feedback.rater_department)
        feedback_delete(org=self.org, feedback=feedback)
        return Response(status=status.HTTP_204_NO_CONTENT)
