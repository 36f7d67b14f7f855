from django.urls import path

from .views import AppealViewSet, CalibrationViewSet, GradeScaleViewSet, GradeViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(
        P + "grade-scales/",
        GradeScaleViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-grade-scales",
    ),
    path(
        P + "calibrations/",
        CalibrationViewSet.as_view({"get": "list", "post": "create"}),
        name="api-calibrations",
    ),
    path(
        P + "calibrations/<int:pk>/",
        CalibrationViewSet.as_view({"get": "retrieve"}),
        name="api-calibration",
    ),
    path(
        P + "calibrations/<int:pk>/move/",
        CalibrationViewSet.as_view({"post": "move"}),
        name="api-calibration-move",
    ),
    path(
        P + "calibrations/<int:pk>/publish/",
        CalibrationViewSet.as_view({"post": "publish"}),
        name="api-calibration-publish",
    ),
    path(
        P + "calibrations/<int:pk>/reopen/",
        CalibrationViewSet.as_view({"post": "reopen"}),
        name="api-calibration-reopen",
    ),
    path(
        P + "calibrations/<int:pk>/appeals/",
        AppealViewSet.as_view({"get": "list", "post": "create"}),
        name="api-calibration-appeals",
    ),
    path(
        P + "calibrations/<int:pk>/appeals/<int:appeal_pk>/resolve/",
        AppealViewSet.as_view({"post": "resolve"}),
        name="api-calibration-appeal-resolve",
    ),
    path(P + "grades/", GradeViewSet.as_view({"get": "list"}), name="api-grades"),
]
