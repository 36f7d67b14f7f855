"""grade-scales/, calibrations/ (with their appeals/) and grades/ (SPEC §9 through the API of
SPEC §6; appeals: issue 17)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import is_member, visible_department_ids
from perfhub.api import int_param
from perfhub.errors import error_messages
from perfhub.tenancy import get_or_404

from .. import rules, selectors, services
from ..models import Calibration, CalibrationGrade, GradeAppeal, GradeBand
from .serializers import (
    AppealIn,
    AppealOut,
    BoardOut,
    CalibrationOpenIn,
    CalibrationOut,
    GradeOut,
    GradingIn,
    GradingOut,
    MoveIn,
    PublishIn,
    ReopenIn,
    ResolveIn,
)

# The service names a band's fields as grades.rules.Band does; the API as the model does.
_BAND_FIELDS = {"lowest": "lowest_score"}


def band_errors(exc: DjangoValidationError) -> dict:
    """grading_save's `bands.<i>.<field>` keys in the shape DRF gives a nested list's errors
    (what the serializer answers for a bad type in the same place): `{"bands": {"<i>":
    {"<field>": [...]}}}` for the grades at fault, the scale as a whole under
    `{"bands": {"non_field_errors": [...]}}`. Other fields stay as they are."""
    body: dict = {}
    bands: dict = {}
    for key, messages in error_messages(exc).items():
        if key.startswith("bands."):
            _bands, index, field = key.split(".", 2)
            grade = bands.setdefault(index, {})
            grade.setdefault(_BAND_FIELDS.get(field, field), []).extend(messages)
        elif key == "bands":
            bands["non_field_errors"] = messages
        else:
            body[key] = messages
    if bands:
        body["bands"] = bands
    return body


class GradeScaleViewSet(OrgViewSet):
    """The organization's grade scale and grading policy. Every member reads them; admin and
    HR replace both at once."""

    serializer_class = GradingOut
    pagination_class = None  # one object, not a list
    write_predicate = staticmethod(services.can_manage_grades)

    @property
    def schema_model(self):
        return GradeBand

    def scoped_queryset(self):
        return GradeBand.objects.for_org(self.org)

    def _out(self):
        grading = {
            "bands": selectors.scale_get(org=self.org),
            "policy": selectors.policy_get(org=self.org),
        }
        return Response(GradingOut(grading).data)

    def retrieve(self, request, org_slug):
        return self._out()

    @extend_schema(request=GradingIn, responses=GradingOut)
    def update(self, request, org_slug):
        data = GradingIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        bands = [
            rules.Band(
                label=b["label"],
                lowest=b["lowest_score"],
                coefficient=b["coefficient"],
                share_kind=b["share_kind"],
                share_percent=b["share_percent"],
            )
            for b in v["bands"]
        ]
        try:
            services.grading_save(
                org=self.org,
                membership=self.membership,
                bands=bands,
                grade_months=v["grade_months"],
                grade_quarters=v["grade_quarters"],
                grade_years=v["grade_years"],
                grouping=v["grouping"],
                publish_rule=v["publish_rule"],
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(band_errors(exc)) from exc
        return self._out()


class CalibrationViewSet(OrgViewSet):
    """Calibrations of graded periods. Admin, HR and executives read them, move grades,
    publish and reopen; admin and HR open one. The services check the same roles."""

    serializer_class = CalibrationOut

    @property
    def schema_model(self):
        return Calibration

    read_predicate = staticmethod(services.can_calibrate)
    write_predicate = staticmethod(services.can_calibrate)
    action_predicates = {"create": services.can_manage_grades}

    def scoped_queryset(self):
        return selectors.calibration_list(org=self.org)

    def _get(self, pk) -> Calibration:
        return get_or_404(selectors.calibration_list(org=self.org), pk)

    def _board(self, pk):
        calibration = self._get(pk)
        board = selectors.calibration_board(
            org=self.org, period=calibration.period, calibration=calibration
        )
        return Response(BoardOut(board).data)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CalibrationOut(page, many=True).data)

    @extend_schema(
        request=CalibrationOpenIn,
        responses={201: CalibrationOut, 200: CalibrationOut},
        description="Open the calibration of a graded period: 201 when it is opened, 200 "
        "with the period's calibration as it is when there already is one.",
    )
    def create(self, request, org_slug):
        data = CalibrationOpenIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        period = data.validated_data["period"]
        existed = selectors.calibration_list(org=self.org).filter(period=period).exists()
        calibration = services.calibration_open(
            org=self.org, membership=self.membership, period=period
        )
        return Response(
            CalibrationOut(self._get(calibration.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @extend_schema(responses=BoardOut)
    def retrieve(self, request, org_slug, pk):
        return self._board(pk)

    @extend_schema(request=MoveIn, responses=BoardOut)
    @action(detail=True, methods=["post"])
    def move(self, request, org_slug, pk):
        return self._act(pk, MoveIn, services.calibration_move)

    def _act(self, pk, serializer, service):
        """One step of the calibration: the body checked by `serializer`, the step taken
        by the `service`; answers the board as it is now."""
        calibration = self._get(pk)
        data = serializer(data=self.request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        service(
            org=self.org,
            membership=self.membership,
            calibration=calibration,
            **data.validated_data,
        )
        return self._board(pk)

    @extend_schema(request=PublishIn, responses=BoardOut)
    @action(detail=True, methods=["post"])
    def publish(self, request, org_slug, pk):
        return self._act(pk, PublishIn, services.calibration_publish)

    @extend_schema(request=ReopenIn, responses=BoardOut)
    @action(detail=True, methods=["post"])
    def reopen(self, request, org_slug, pk):
        return self._act(pk, ReopenIn, services.calibration_reopen)


class GradeViewSet(OrgViewSet):
    """Published grades, frozen at publication, for payroll: admin, HR and executives see
    every department's, a manager those of the departments they manage."""

    serializer_class = GradeOut

    @property
    def schema_model(self):
        return CalibrationGrade

    def scoped_queryset(self):
        department_ids = visible_department_ids(self.membership)
        wanted = int_param(self.request, "department")
        if wanted is not None:
            department_ids = [wanted] if department_ids is None or wanted in department_ids else []
        return selectors.grade_list(
            org=self.org, period=int_param(self.request, "period"), department_ids=department_ids
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("period", int, description="Period id"),
            OpenApiParameter("department", int, description="Department id"),
        ]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(GradeOut(page, many=True).data)


CALIBRATION_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="A calibration id (calibrations/)."
)


class AppealViewSet(OrgViewSet):
    """Appeals of a calibration's published grades (issue 17). Admin, HR and executives read
    every department's, a manager those of the departments they manage; a department's
    manager appeals its grade (once, with a reason); admin, HR and executives decide. The
    services check who may raise and decide; the list is narrowed here."""

    serializer_class = AppealOut
    # Raising is for the department's manager, whatever the role: appeal_raise checks it.
    write_predicate = staticmethod(is_member)
    action_predicates = {"resolve": services.can_calibrate}

    @property
    def schema_model(self):
        return GradeAppeal

    def _calibration(self) -> Calibration:
        return get_or_404(selectors.calibration_list(org=self.org), self.kwargs["pk"])

    def scoped_queryset(self):
        return selectors.appeal_list(
            org=self.org,
            calibration=self._calibration(),
            department_ids=visible_department_ids(self.membership),
        )

    @extend_schema(parameters=[CALIBRATION_ID])
    def list(self, request, org_slug, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AppealOut(page, many=True).data)

    @extend_schema(
        parameters=[CALIBRATION_ID],
        request=AppealIn,
        responses={201: AppealOut},
        description="Appeal a department's published grade: its manager, once, with a reason "
        "(403 for anyone else). HR and the executives are e-mailed.",
    )
    def create(self, request, org_slug, pk):
        calibration = self._calibration()
        data = AppealIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        appeal = services.appeal_raise(
            org=self.org,
            membership=self.membership,
            calibration=calibration,
            **data.validated_data,
        )
        return Response(AppealOut(appeal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            CALIBRATION_ID,
            OpenApiParameter(
                "appeal_pk", int, OpenApiParameter.PATH, description="An appeal id (appeals/)."
            ),
        ],
        request=ResolveIn,
        responses=AppealOut,
        description="Decide an open appeal with a reason: the appealed grade upholds it, "
        "another changes the published grade and its coefficient. The manager is e-mailed.",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, org_slug, pk, appeal_pk):
        appeals = selectors.appeal_list(org=self.org, calibration=self._calibration())
        appeal = get_or_404(appeals, appeal_pk)
        data = ResolveIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.appeal_resolve(
            org=self.org, membership=self.membership, appeal=appeal, **data.validated_data
        )
        return Response(AppealOut(get_or_404(appeals, appeal_pk)).data)
