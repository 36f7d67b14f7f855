from django.urls import path

from .views import BriefingViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(
        P + "briefings/",
        BriefingViewSet.as_view({"get": "list", "post": "create"}),
        name="api-briefings",
    ),
    path(
        P + "briefings/<int:pk>/",
        BriefingViewSet.as_view({"get": "retrieve"}),
        name="api-briefing",
    ),
    path(
        P + "briefings/<int:pk>/pdf/",
        BriefingViewSet.as_view({"get": "pdf"}),
        name="api-briefing-pdf",
    ),
]
