from django.urls import path

from .views import AllowedHostViewSet, FeedRunViewSet, FeedViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(P + "feeds/", FeedViewSet.as_view({"get": "list", "post": "create"}), name="api-feeds"),
    path(
        P + "feeds/<int:pk>/",
        FeedViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="api-feed",
    ),
    path(P + "feeds/<int:pk>/run/", FeedViewSet.as_view({"post": "run"}), name="api-feed-run"),
    path(
        P + "feeds/<int:pk>/dry-run/",
        FeedViewSet.as_view({"post": "dry_run"}),
        name="api-feed-dry-run",
    ),
    path(P + "feed-runs/", FeedRunViewSet.as_view({"get": "list"}), name="api-feed-runs"),
    path(
        P + "feed-runs/<int:pk>/",
        FeedRunViewSet.as_view({"get": "retrieve"}),
        name="api-feed-run-detail",
    ),
    path(
        P + "allowed-hosts/",
        AllowedHostViewSet.as_view({"get": "list", "post": "create"}),
        name="api-allowed-hosts",
    ),
    path(
        P + "allowed-hosts/<int:pk>/",
        AllowedHostViewSet.as_view({"delete": "destroy"}),
        name="api-allowed-host",
    ),
]
