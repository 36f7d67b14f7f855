from typing import Any

from django.urls import path

from .views import (
    ActualViewSet,
    IndicatorViewSet,
    KpiPeriodTargetsViewSet,
    KpiViewSet,
    PeriodViewSet,
    SignOffViewSet,
    TemplateViewSet,
)

P = "orgs/<slug:org_slug>/"
LIST: dict[str, Any] = {"get": "list", "post": "create"}
# Actions that answer one body, not a filtered page of the list.
NOT_A_LIST: dict[str, Any] = {"pagination_class": None, "filter_backends": []}
DETAIL: dict[str, Any] = {"get": "retrieve", "patch": "partial_update"}

urlpatterns = [
    path(P + "indicators/", IndicatorViewSet.as_view(LIST), name="api-indicators"),
    path(P + "indicators/<int:pk>/", IndicatorViewSet.as_view(DETAIL), name="api-indicator"),
    path(P + "templates/", TemplateViewSet.as_view(LIST), name="api-templates"),
    path(
        P + "templates/<int:pk>/",
        TemplateViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-template",
    ),
    path(
        P + "templates/<int:pk>/apply/",
        TemplateViewSet.as_view({"post": "apply"}),
        name="api-template-apply",
    ),
    path(P + "kpis/", KpiViewSet.as_view(LIST), name="api-kpis"),
    path(P + "kpis/<int:pk>/", KpiViewSet.as_view(DETAIL), name="api-kpi"),
    path(
        P + "kpis/<int:pk>/period-targets/",
        KpiPeriodTargetsViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-kpi-period-targets",
    ),
    path(P + "periods/", PeriodViewSet.as_view({"get": "list"}), name="api-periods"),
    path(
        P + "periods/generate/",
        PeriodViewSet.as_view({"post": "generate"}, **NOT_A_LIST),
        name="api-periods-generate",
    ),
    path(P + "periods/<int:pk>/", PeriodViewSet.as_view({"get": "retrieve"}), name="api-period"),
    path(P + "periods/<int:pk>/lock/", PeriodViewSet.as_view({"post": "lock"}), name="api-lock"),
    path(
        P + "periods/<int:pk>/reopen/", PeriodViewSet.as_view({"post": "reopen"}), name="api-reopen"
    ),
    path(P + "actuals/", ActualViewSet.as_view(LIST), name="api-actuals"),
    path(
        P + "actuals/bulk/",
        ActualViewSet.as_view({"post": "bulk"}, **NOT_A_LIST),
        name="api-actuals-bulk",
    ),
    path(P + "actuals/<int:pk>/", ActualViewSet.as_view(DETAIL), name="api-actual"),
    path(
        P + "actuals/pending/",
        SignOffViewSet.as_view({"get": "list"}),
        name="api-actuals-pending",
    ),
    path(
        P + "actuals/confirm/",
        SignOffViewSet.as_view({"post": "confirm"}, **NOT_A_LIST),
        name="api-actuals-confirm",
    ),
    path(
        P + "actuals/reject/",
        SignOffViewSet.as_view({"post": "reject"}, **NOT_A_LIST),
        name="api-actuals-reject",
    ),
]
