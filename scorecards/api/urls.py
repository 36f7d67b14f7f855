from django.urls import path

from .views import (
    ActionViewSet,
    BscViewSet,
    DashboardViewSet,
    GoalViewSet,
    RecalculationViewSet,
    ScorecardCommentViewSet,
    ScorecardViewSet,
)

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(P + "scorecards/", ScorecardViewSet.as_view({"get": "list"}), name="api-scorecards"),
    path(
        P + "scorecard-comments/",
        ScorecardCommentViewSet.as_view({"get": "list", "post": "create"}),
        name="api-scorecard-comments",
    ),
    path(
        P + "scorecard-comments/<int:pk>/",
        ScorecardCommentViewSet.as_view({"delete": "destroy"}),
        name="api-scorecard-comment",
    ),
    path(
        P + "actions/", ActionViewSet.as_view({"get": "list", "post": "create"}), name="api-actions"
    ),
    path(
        P + "actions/<int:pk>/",
        ActionViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-action",
    ),
    path(P + "bsc/", BscViewSet.as_view({"get": "retrieve"}), name="api-bsc"),
    path(P + "dashboard/", DashboardViewSet.as_view({"get": "retrieve"}), name="api-dashboard"),
    path(P + "goals/", GoalViewSet.as_view({"get": "list", "post": "create"}), name="api-goals"),
    path(
        P + "goals/<int:pk>/",
        GoalViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-goal",
    ),
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
