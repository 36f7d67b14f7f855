"""Routes of the grades pages (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from .views import grade_board, grade_export, grade_scale

urlpatterns = [
    path("grades/", grade_board, name="grade_board"),
    path("grades/scale/", grade_scale, name="grade_scale"),
    path("grades/<int:pk>/export.xlsx", grade_export, name="grade_export"),
]
