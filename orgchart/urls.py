from django.urls import path

from . import views

# Mounted under /o/<slug>/ by perfhub.urls.
urlpatterns = [
    path("org-chart/import/", views.import_upload, name="org_chart_import"),
    path("org-chart/template.xlsx", views.import_template, name="org_chart_template"),
    path("org-chart/import/<int:pk>/", views.import_preview, name="org_chart_preview"),
    path("org-chart/import/<int:pk>/confirm/", views.import_confirm, name="org_chart_confirm"),
    path(
        "org-chart/import/<int:pk>/deactivate/",
        views.import_deactivate,
        name="org_chart_deactivate",
    ),
]
