"""Routes of the scorecards pages (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from .views.actions import action_detail, action_list, action_new, red_without_action
from .views.bsc import company_bsc, department_bsc
from .views.dashboard import company_dashboard, company_dashboard_export
from .views.goals import goal_edit, goal_list
from .views.scorecards import (
    department_scorecard,
    department_scorecard_export,
    kpi_detail,
    recalculate_period,
    recalculation_status,
    scorecard_comment_delete,
)

urlpatterns = [
    path("actions/", action_list, name="action_list"),
    path("actions/new/", action_new, name="action_new"),
    path("actions/red-kpis/", red_without_action, name="red_without_action"),
    path("actions/<int:pk>/", action_detail, name="action_detail"),
    path("bsc/", company_bsc, name="company_bsc"),
    path("dashboard/", company_dashboard, name="company_dashboard"),
    path("goals/", goal_list, name="goal_list"),
    path("kpis/<int:pk>/", kpi_detail, name="kpi_detail"),
    path("goals/new/", goal_edit, name="goal_create"),
    path("goals/<int:pk>/", goal_edit, name="goal_edit"),
    path("dashboard/export.xlsx", company_dashboard_export, name="company_dashboard_export"),
    path("scorecards/<int:pk>/", department_scorecard, name="department_scorecard"),
    path("scorecards/<int:pk>/bsc/", department_bsc, name="department_bsc"),
    path(
        "scorecards/comments/<int:pk>/delete/",
        scorecard_comment_delete,
        name="scorecard_comment_delete",
    ),
    path(
        "scorecards/<int:pk>/export.xlsx",
        department_scorecard_export,
        name="department_scorecard_export",
    ),
    path("periods/<int:pk>/recalculate/", recalculate_period, name="recalculate_period"),
    path("recalculations/<int:pk>/", recalculation_status, name="recalculation_status"),
]
