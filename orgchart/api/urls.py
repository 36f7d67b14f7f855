from django.urls import path

from .views import OrgChartImportViewSet

urlpatterns = [
    path(
        "orgs/<slug:org_slug>/org-chart/imports/",
        OrgChartImportViewSet.as_view({"post": "create"}),
        name="api-org-chart-imports",
    ),
    path(
        "orgs/<slug:org_slug>/org-chart/imports/<int:pk>/",
        OrgChartImportViewSet.as_view({"get": "retrieve"}),
        name="api-org-chart-import-detail",
    ),
    path(
        "orgs/<slug:org_slug>/org-chart/imports/<int:pk>/confirm/",
        OrgChartImportViewSet.as_view({"post": "confirm"}),
        name="api-org-chart-import-confirm",
    ),
    path(
        "orgs/<slug:org_slug>/org-chart/imports/<int:pk>/deactivate-missing/",
        OrgChartImportViewSet.as_view({"post": "deactivate_missing"}),
        name="api-org-chart-import-deactivate",
    ),
]
