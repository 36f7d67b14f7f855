from django.urls import path

from .views import DashboardViewSet, RecalculationViewSet, ScorecardViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(P + "scorecards/", ScorecardViewSet.as_view({"get": "list"}), name="api-scorecards"),
    path(P + "dashboard/", DashboardViewSet.as_view({"get": "list"}), name="api-dashboard"),
    path(
        P + "recalculations/",
        RecalculationViewSet.as_view({"post": "create"}),
        name="api-recalculations",
    ),
    path(
        P + "recalculations/<int:pk>/",
        RecalculationViewSet.as_view({"get": "retrieve"}),
        name="api-recalculation",
    ),
]
