"""scorecards/, scorecard-comments/, dashboard/, recalculations/, goals/ and actions/ (SPEC
§6; the comments: issue 17 "Commentary"; actions: issue 19 "Action plans")."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import (
    can_configure,
    can_view_all,
    can_view_company,
    is_member,
    visible_department_ids,
)
from metrics import selectors as metric_selectors
from perfhub.api import int_param
from perfhub.tenancy import get_or_404

from ..models import Action, ActionStatus, Goal, RecalculationRun, Scorecard, ScorecardComment
from ..selectors import actions as action_selectors
from ..selectors import bsc as bsc_selectors
from ..selectors import comments as comment_selectors
from ..selectors import goals as goal_selectors
from ..selectors import scorecards as selectors
from ..selectors.compare import attach_comparisons, index_comparisons
from ..services import (
    action_create,
    action_update,
    can_comment,
    comment_add,
    comment_delete,
    goal_save,
)
from ..tasks import request_full_recalculation
from .serializers import (
    ActionIn,
    ActionOut,
    ActionUpdateIn,
    BscOut,
    CommentIn,
    CommentOut,
    DashboardOut,
    GoalIn,
    GoalOut,
    RecalculationIn,
    RecalculationOut,
    ScorecardOut,
)


def _department_ids(view):
    """The departments a list may show: those the member may see
    (departments.permissions.visible_department_ids), narrowed by the `department` filter."""
    department_ids = visible_department_ids(view.membership)
    wanted = int_param(view.request, "department")
    if wanted is not None:
        department_ids = [wanted] if department_ids is None or wanted in department_ids else []
    return department_ids


class ScorecardViewSet(OrgViewSet):
    """Department scorecards with their lines. Admin, HR and executives see every
    department; a manager those they manage."""

    serializer_class = ScorecardOut

    def scoped_queryset(self):
        department_ids = _department_ids(self)
        return selectors.scorecard_list(
            org=self.org,
            period_id=int_param(self.request, "period"),
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
        attach_comparisons(org=self.org, cards=cards)  # 同比 and 环比 (issue 20)
        context = {"pending": selectors.pending_period_ids(org=self.org)}
        return self.get_paginated_response(ScorecardOut(cards, many=True, context=context).data)


class ScorecardCommentViewSet(OrgViewSet):
    """Executives' and HR's comments on departments' scorecards, on a card as a whole or on
    one of its lines. Members read those of the departments they may see; admin, HR and
    executives write; a comment's author or an admin deletes it (the service checks)."""

    serializer_class = CommentOut
    # Deleting is for the author or an admin, whatever the role: comment_delete checks it.
    write_predicate = staticmethod(is_member)
    action_predicates = {"create": can_comment}

    @property
    def schema_model(self):
        return ScorecardComment

    def scoped_queryset(self):
        return comment_selectors.comment_list(
            org=self.org,
            period=int_param(self.request, "period"),
            department_ids=_department_ids(self),
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("department", int, description="Department id"),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CommentOut(page, many=True).data)

    @extend_schema(request=CommentIn, responses={201: CommentOut})
    def create(self, request, org_slug):
        data = CommentIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        comment = comment_add(org=self.org, membership=self.membership, **data.validated_data)
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        # A comment on a department the member may not see is not found, not forbidden.
        visible = comment_selectors.comment_list(
            org=self.org, period=None, department_ids=visible_department_ids(self.membership)
        )
        comment_delete(org=self.org, membership=self.membership, comment=get_or_404(visible, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _computed_period(view, request):
    """The period asked for (`?period=`), else the latest with computed scorecards; 404
    when nothing has been computed yet."""
    period = metric_selectors.period_pick(
        org=view.org,
        wanted=int_param(request, "period"),
        defaults=(metric_selectors.PICK_WITH_DATA,),
        latest_with_data=selectors.latest_period_with_data,
    )
    if period is None:
        raise Http404(_("No period has been computed yet."))
    return period


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
        period = _computed_period(self, request)
        period_id = period.pk
        row = selectors.org_scorecard(org=self.org, period_id=period_id)
        if row is None:
            raise Http404(_("This period has not been computed yet."))
        ids = visible_department_ids(self.membership)
        row.ranking = selectors.ranking(org=self.org, period_id=period_id, department_ids=ids)
        # 同比 and 环比 of the indices and of the ranked departments (issue 20)
        row.compare = index_comparisons(org=self.org, period=period, current=row, cards=row.ranking)
        row.pending = period_id in selectors.pending_period_ids(org=self.org)
        return Response(DashboardOut(row).data)


class BscViewSet(OrgViewSet):
    """The balanced scorecard of a period (docs/balanced-scorecard.md): the company's score
    per perspective (the mean of the departments'), every member; and the departments the
    member may see (narrowed by `department`) with their four perspective scores."""

    serializer_class = BscOut
    pagination_class = None  # one object, not a list
    read_predicate = staticmethod(can_view_company)

    @property
    def schema_model(self):
        return Scorecard

    def scoped_queryset(self):
        return selectors.scorecard_list(org=self.org)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("department", int, description="Department id"),
        ]
    )
    def retrieve(self, request, org_slug):
        period = _computed_period(self, request)
        ids = _department_ids(self)
        company = bsc_selectors.company_bsc(
            org=self.org, period=period, department_ids=None if ids is None else set(ids)
        )
        return Response(
            BscOut(
                {
                    "period": period.pk,
                    "pending": period.pk in selectors.pending_period_ids(org=self.org),
                    "perspectives": company.perspectives,
                    "departments": company.rows,
                }
            ).data
        )


class RecalculationViewSet(OrgViewSet):
    """HR triggers a recalculation of a period and follows its progress."""

    serializer_class = RecalculationOut
    read_predicate = staticmethod(can_configure)
    write_predicate = staticmethod(can_configure)

    def scoped_queryset(self):

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

        return Goal

    def scoped_queryset(self):
        return goal_selectors.goal_list(org=self.org, period_id=int_param(self.request, "period"))

    def _out(self, goals):
        sides = goal_selectors.goal_contributions(org=self.org, goals=goals)
        for goal in goals:
            goal.sides = sides[goal.pk]
        return goals

    @extend_schema(parameters=[OpenApiParameter("period", int, description="Period id")])
    def list(self, request, org_slug):
        page = self._out(list(self.paginate_queryset(self.get_queryset())))
        return self.get_paginated_response(GoalOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        goal = self._out([goal_selectors.goal_get(org=self.org, pk=pk)])[0]
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
        return self._out([goal_selectors.goal_get(org=self.org, pk=saved.pk)])[0]

    @extend_schema(request=GoalIn, responses={201: GoalOut})
    def create(self, request, org_slug):
        return Response(GoalOut(self._save(request)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GoalIn, responses=GoalOut)
    def update(self, request, org_slug, pk):
        goal = goal_selectors.goal_get(org=self.org, pk=pk)
        return Response(GoalOut(self._save(request, goal)).data)


class ActionViewSet(OrgViewSet):
    """Actions on red or amber KPI lines and goals behind plan. Members list those they
    see (their departments', the company goals', their own; filters `status` - open,
    in_progress, done, dropped, active, closed -, `owner`, `department`, `period`, `kpi`,
    `goal`, `overdue`); admin, HR, executives and a department's managers plan them; the
    owner moves one along (the services check)."""

    serializer_class = ActionOut
    # Planning and moving along depend on the department and the owner: the services check.
    write_predicate = staticmethod(is_member)

    @property
    def schema_model(self):
        return Action

    def _visible(self, **filters):
        return action_selectors.action_list(
            org=self.org,
            department_ids=visible_department_ids(self.membership),
            user=self.request.user,
            **filters,
        )

    def scoped_queryset(self):
        status = self.request.query_params.get("status") or None
        if status is not None and status not in {*ActionStatus.values, "active", "closed"}:
            raise DRFValidationError({"status": [_("Unknown status.")]})
        overdue = self.request.query_params.get("overdue", "")
        if overdue not in ("", "true", "false"):
            raise DRFValidationError({"overdue": [_("Give true or false.")]})
        return self._visible(
            status=status,
            owner_id=int_param(self.request, "owner"),
            department_id=int_param(self.request, "department"),
            period_id=int_param(self.request, "period"),
            kpi_id=int_param(self.request, "kpi"),
            goal_id=int_param(self.request, "goal"),
            overdue=overdue == "true",
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*ActionStatus.values, "active", "closed"],
                description="A status, or active (open or in progress), closed (done or dropped)",
            ),
            OpenApiParameter("owner", int, description="The owner's user id"),
            OpenApiParameter("department", int, description="Department id"),
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("kpi", int, description="KPI id"),
            OpenApiParameter("goal", int, description="Goal id"),
            OpenApiParameter("overdue", bool, description="Only those past their due date"),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ActionOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(ActionOut(get_or_404(self._visible(), pk)).data)

    @extend_schema(request=ActionIn, responses={201: ActionOut})
    def create(self, request, org_slug):
        data = ActionIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        action = action_create(org=self.org, membership=self.membership, **data.validated_data)
        return Response(
            ActionOut(action_selectors.action_get(org=self.org, pk=action.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ActionUpdateIn, responses=ActionOut)
    def partial_update(self, request, org_slug, pk):
        action = get_or_404(self._visible(), pk)
        data = ActionUpdateIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        action_update(
            org=self.org, membership=self.membership, action=action, **data.validated_data
        )
        return Response(ActionOut(action_selectors.action_get(org=self.org, pk=action.pk)).data)
