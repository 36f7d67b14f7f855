"""Indicators, templates, KPIs, periods and actuals API (SPEC §6)."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import (
    can_configure,
    can_enter_actuals,
    is_manager,
    is_member,
    visible_department_ids,
)
from perfhub.api import int_param
from perfhub.tenancy import get_or_404

from .. import period_targets, scoring, selectors
from ..models import Actual, Kpi
from ..services import indicators as indicator_services
from ..services import kpis as kpi_services
from ..services import period_targets as period_target_services
from ..services import periods as period_services
from ..services import templates as template_services
from ..services.actuals import ActualInput, ActualsRefused, actuals_save
from ..services.signoff import SignOffRefused, actuals_confirm, actuals_reject
from .filters import ActualFilter, IndicatorFilter, KpiFilter, PeriodFilter
from .serializers import (
    ActualIn,
    ActualOut,
    ActualUpdateIn,
    ApplyIn,
    ApplyOut,
    BulkIn,
    BulkOut,
    ConfirmIn,
    ConflictOut,
    GenerateIn,
    IndicatorIn,
    IndicatorOut,
    KpiIn,
    KpiOut,
    KpiUpdateIn,
    PendingActualOut,
    PeriodOut,
    PeriodTargetsIn,
    PeriodTargetsOut,
    ReasonIn,
    RejectIn,
    SignOffOut,
    TemplateIn,
    TemplateOut,
)


class _ListRetrieve:
    """list() and retrieve() over scoped_queryset() with the output serializer."""

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.serializer_class(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(self.serializer_class(self.get_object_scoped(pk)).data)

    def get_object_scoped(self, pk):
        return get_or_404(self.get_queryset(), pk)


class IndicatorViewSet(_ListRetrieve, OrgViewSet):
    """The indicator library. Members read it; admin and HR change it."""

    serializer_class = IndicatorOut
    filterset_class = IndicatorFilter

    def scoped_queryset(self):
        return selectors.indicator_list(org=self.org)

    @extend_schema(request=IndicatorIn, responses={201: IndicatorOut})
    def create(self, request, org_slug):
        data = IndicatorIn(data=request.data)
        data.is_valid(raise_exception=True)
        indicator = indicator_services.indicator_create(
            org=self.org, by=request.user, **data.validated_data
        )
        return Response(IndicatorOut(indicator).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IndicatorIn, responses=IndicatorOut)
    def partial_update(self, request, org_slug, pk):
        indicator = self.get_object_scoped(pk)
        data = IndicatorIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "code"}
        indicator = indicator_services.indicator_update(
            indicator=indicator, by=request.user, **fields
        )
        return Response(IndicatorOut(indicator).data)


class TemplateViewSet(_ListRetrieve, OrgViewSet):
    """Templates and applying them to departments (admin and HR)."""

    serializer_class = TemplateOut

    def scoped_queryset(self):
        return selectors.template_list(org=self.org)

    @extend_schema(request=TemplateIn, responses={201: TemplateOut})
    def create(self, request, org_slug):
        data = TemplateIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        template = template_services.template_save(
            org=self.org, by=request.user, **data.validated_data
        )
        return Response(
            TemplateOut(selectors.template_get(org=self.org, pk=template.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TemplateIn, responses=TemplateOut)
    def update(self, request, org_slug, pk):
        template = self.get_object_scoped(pk)
        data = TemplateIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        template_services.template_save(
            org=self.org, by=request.user, template=template, **data.validated_data
        )
        return Response(TemplateOut(selectors.template_get(org=self.org, pk=pk)).data)

    @extend_schema(request=ApplyIn, responses=ApplyOut)
    @action(detail=True, methods=["post"])
    def apply(self, request, org_slug, pk):
        template = self.get_object_scoped(pk)
        data = ApplyIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        plans = template_services.template_apply(
            template=template, departments=data.validated_data["departments"], by=request.user
        )
        return Response({"created": sum(len(plan.create) for plan in plans)})


class KpiViewSet(_ListRetrieve, OrgViewSet):
    """KPIs. Admin, HR and executives read all; a manager those of their departments."""

    serializer_class = KpiOut
    filterset_class = KpiFilter

    def scoped_queryset(self):
        return selectors.kpi_list(
            org=self.org, department_ids=visible_department_ids(self.membership)
        )

    @extend_schema(request=KpiIn, responses={201: KpiOut})
    def create(self, request, org_slug):
        data = KpiIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        kpi = kpi_services.kpi_create(org=self.org, by=request.user, **data.validated_data)
        return Response(KpiOut(kpi).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KpiUpdateIn, responses=KpiOut)
    def partial_update(self, request, org_slug, pk):
        kpi = self.get_object_scoped(pk)
        data = KpiUpdateIn(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        kpi = kpi_services.kpi_update(kpi=kpi, by=request.user, **data.validated_data)
        return Response(KpiOut(kpi).data)


def _period_target_errors(errors: dict, listed: list[int]) -> dict:
    """The service's {"<period id>.<field>": messages} as the input's shape: {"targets":
    {index: {field: messages}}}, other keys as they are."""
    index = {pk: str(n) for n, pk in enumerate(listed)}
    out: dict = {}
    for key, messages in errors.items():
        pk, dot, name = key.partition(".")
        if dot and pk.isdigit() and int(pk) in index:
            out.setdefault("targets", {}).setdefault(index[int(pk)], {})[name] = messages
        elif dot:  # a quarter or the year, whose target follows from the cells
            out.setdefault("targets", {}).setdefault("periods", []).extend(messages)
        else:
            out[key] = messages
    return out


class KpiPeriodTargetsViewSet(OrgViewSet):
    """A KPI's targets per period in a fiscal year (docs/scoring.md, "Targets per period"):
    members who see the KPI read them; admin and HR replace them (PUT, all or nothing)."""

    serializer_class = PeriodTargetsOut
    schema_model = Kpi  # type: ignore[assignment]

    def scoped_queryset(self):
        return selectors.kpi_list(
            org=self.org, department_ids=visible_department_ids(self.membership)
        )

    def _view(self, kpi, fiscal_year):
        return period_targets.targets_year(org=self.org, kpi=kpi, fiscal_year=fiscal_year)

    @extend_schema(responses=PeriodTargetsOut)
    def retrieve(self, request, org_slug, pk):
        kpi = get_or_404(self.get_queryset(), pk)
        years = period_targets.fiscal_years(org=self.org)
        year = int_param(request, "fiscal_year")
        if year is None:
            year = period_targets.default_fiscal_year(org=self.org, years=years) or 0
        if year not in years:  # no periods: nothing to read (nor a number out of range)
            grain = period_targets.editor_grain(kpi)
            return Response(PeriodTargetsOut(period_targets.TargetsYear(kpi, year, grain)).data)
        return Response(PeriodTargetsOut(self._view(kpi, year)).data)

    @extend_schema(request=PeriodTargetsIn, responses=PeriodTargetsOut)
    def update(self, request, org_slug, pk):
        kpi = get_or_404(self.get_queryset(), pk)
        data = PeriodTargetsIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        year = data.validated_data["fiscal_year"]
        rows = data.validated_data["targets"]
        targets = {
            t["period"]: scoring.PeriodTarget(
                target=t["target"], threshold=t.get("threshold"), target_max=t.get("target_max")
            )
            for t in rows
        }
        try:
            period_target_services.kpi_period_targets_set(
                org=self.org,
                kpi=kpi,
                by=request.user,
                fiscal_year=year,
                targets=targets,
                replace=True,
            )
        except DjangoValidationError as exc:
            listed = [t["period"] for t in rows]
            raise ValidationError(_period_target_errors(exc.message_dict, listed)) from exc
        return Response(PeriodTargetsOut(self._view(kpi, year)).data)


class PeriodViewSet(_ListRetrieve, OrgViewSet):
    """Periods: members read them; admin and HR generate, lock and reopen."""

    serializer_class = PeriodOut
    filterset_class = PeriodFilter

    def scoped_queryset(self):
        return selectors.period_list(org=self.org)

    @extend_schema(request=GenerateIn, responses={201: PeriodOut(many=True)})
    @action(detail=False, methods=["post"])
    def generate(self, request, org_slug):
        data = GenerateIn(data=request.data)
        data.is_valid(raise_exception=True)
        periods = period_services.periods_generate(
            org=self.org, fiscal_year=data.validated_data["fiscal_year"], by=request.user
        )
        return Response(PeriodOut(periods, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonIn, responses=PeriodOut)
    @action(detail=True, methods=["post"])
    def lock(self, request, org_slug, pk):
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        period = period_services.period_lock(
            period=self.get_object_scoped(pk), by=request.user, **data.validated_data
        )
        return Response(PeriodOut(period).data)

    @extend_schema(request=ReasonIn, responses=PeriodOut)
    @action(detail=True, methods=["post"])
    def reopen(self, request, org_slug, pk):
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        period = period_services.period_reopen(
            period=self.get_object_scoped(pk), by=request.user, **data.validated_data
        )
        return Response(PeriodOut(period).data)


def _refused_response(exc: ActualsRefused, *, bulk_size: int | None = None) -> Response:
    """409 when the only problem is a stale version, else 400 with messages per field."""
    conflicts = [
        {
            "index": int(c.ref) if c.ref.isdigit() else c.ref,
            "kpi": c.kpi_id,
            "period": c.period_id,
            "value": str(c.their_value),
            "version": c.their_version,
            "entered_by": c.by_username,
            "entered_by_name": c.by,
            "entered_at": c.at,
        }
        for c in exc.conflicts
    ]
    if exc.only_conflicts:
        return Response(
            {
                "detail": _(
                    "This actual was changed since you read it: nothing was saved. Read it "
                    "again and send its current version."
                ),
                "conflicts": conflicts,
            },
            status=status.HTTP_409_CONFLICT,
        )
    body: dict[str, Any]
    if bulk_size is None:
        body = dict(exc.errors.get("0", exc.errors.get("", {})))
    else:
        rows = [exc.errors.get(str(i), {}) for i in range(bulk_size)]
        body = {"actuals": rows}
        if "" in exc.errors:
            body["non_field_errors"] = exc.errors[""].get("version", [])
    if conflicts:
        body["conflicts"] = conflicts
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class ActualViewSet(_ListRetrieve, OrgViewSet):
    """Actuals. Admin and HR write any; a manager those of their departments (403 else)."""

    serializer_class = ActualOut
    filterset_class = ActualFilter
    write_predicate = staticmethod(can_configure | is_manager)

    def scoped_queryset(self):
        qs = (
            Actual.objects.for_org(self.org)
            .select_related("entered_by", "reviewed_by")
            .order_by("id")
        )
        ids = visible_department_ids(self.membership)
        if ids is not None:
            qs = qs.filter(department_id__in=ids)
        return qs

    def _save(self, request, entries, bulk_size=None):
        try:
            result = actuals_save(
                org=self.org,
                by=request.user,
                source="api",
                entries=entries,
                can_enter=lambda d: can_enter_actuals(self.membership, d),
            )
        except ActualsRefused as exc:
            return None, _refused_response(exc, bulk_size=bulk_size)
        return result, None

    @extend_schema(request=ActualIn, responses={201: ActualOut, 200: ActualOut, 409: ConflictOut})
    def create(self, request, org_slug):
        data = ActualIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = ActualInput(v["kpi"], v["period"], v["value"], v["note"], v["version"], ref="0")
        result, error = self._save(request, [entry])
        if error:
            return error
        actual = self._reload(v["kpi"], v["period"])
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ActualOut(actual).data, status=code)

    @extend_schema(request=ActualUpdateIn, responses={200: ActualOut, 409: ConflictOut})
    def partial_update(self, request, org_slug, pk):
        actual = self.get_object_scoped(pk)
        data = ActualUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        note = v.get("note", actual.note)
        entry = ActualInput(actual.kpi_id, actual.period_id, v["value"], note, v["version"], "0")
        _result, error = self._save(request, [entry])
        if error:
            return error
        return Response(ActualOut(self._reload(actual.kpi_id, actual.period_id)).data)

    @extend_schema(request=BulkIn, responses={200: BulkOut, 409: ConflictOut})
    @action(detail=False, methods=["post"])
    def bulk(self, request, org_slug):
        """Upsert many actuals at once, all or nothing."""
        data = BulkIn(data=request.data)
        data.is_valid(raise_exception=True)
        entries = [
            ActualInput(a["kpi"], a["period"], a["value"], a["note"], a["version"], ref=str(i))
            for i, a in enumerate(data.validated_data["actuals"])
        ]
        result, error = self._save(request, entries, bulk_size=len(entries))
        if error:
            return error
        return Response(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )

    def _reload(self, kpi_id, period_id):
        return self.get_queryset().get(kpi_id=kpi_id, period_id=period_id)


class SignOffViewSet(OrgViewSet):
    """Values that need sign-off: the queue of those this member may confirm, and confirm
    or reject (one or many at once, all or none; metrics.services.signoff). Any member may
    call them: who may confirm which KPI's values is checked per value (400 naming it)."""

    serializer_class = PendingActualOut
    write_predicate = staticmethod(is_member)

    def scoped_queryset(self):
        return selectors.pending_actuals(org=self.org, membership=self.membership)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PendingActualOut(page, many=True).data)

    def _act(self, request, serializer, service, **extra):
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [(a["id"], a["version"]) for a in data.validated_data["actuals"]]
        if "reason" in data.validated_data:
            extra["reason"] = data.validated_data["reason"]
        try:
            done = service(
                org=self.org, by=request.user, membership=self.membership, items=items, **extra
            )
        except SignOffRefused as exc:
            body: dict[str, Any] = {}
            if "reason" in exc.errors:
                body["reason"] = exc.errors["reason"]
            rows = [m for key, ms in exc.errors.items() if key != "reason" for m in ms]
            if rows:
                body["actuals"] = rows
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response({"done": done})

    @extend_schema(request=ConfirmIn, responses=SignOffOut)
    @action(detail=False, methods=["post"])
    def confirm(self, request, org_slug):
        """Confirm values awaiting confirmation: each counts from now on."""
        return self._act(request, ConfirmIn, actuals_confirm)

    @extend_schema(request=RejectIn, responses=SignOffOut)
    @action(detail=False, methods=["post"])
    def reject(self, request, org_slug):
        """Reject values awaiting confirmation, with the reason told to who entered them."""
        return self._act(request, RejectIn, actuals_reject)
