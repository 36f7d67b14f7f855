from django.urls import path

from .views import MentionCandidateViewSet, PostViewSet, ThreadViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(P + "threads/", ThreadViewSet.as_view({"get": "list"}), name="api-threads"),
    path(P + "posts/", PostViewSet.as_view({"get": "list", "post": "create"}), name="api-posts"),
    path(
        P + "posts/<int:pk>/",
        PostViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="api-post",
    ),
    path(
        P + "posts/<int:pk>/history/",
        PostViewSet.as_view({"get": "history"}),
        name="api-post-history",
    ),
    path(
        P + "mention-candidates/",
        MentionCandidateViewSet.as_view({"get": "list"}),
        name="api-mention-candidates",
    ),
]
