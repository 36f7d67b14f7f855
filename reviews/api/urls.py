from django.urls import path

from .views import FeedbackCriterionViewSet, FeedbackViewSet, ReviewViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(
        P + "reviews/", ReviewViewSet.as_view({"get": "list", "post": "create"}), name="api-reviews"
    ),
    path(
        P + "reviews/<int:pk>/",
        ReviewViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-review",
    ),
    path(
        P + "reviews/<int:pk>/submit/",
        ReviewViewSet.as_view({"post": "submit"}),
        name="api-review-submit",
    ),
    path(
        P + "reviews/<int:pk>/forward/",
        ReviewViewSet.as_view({"post": "forward"}),
        name="api-review-forward",
    ),
    path(
        P + "reviews/<int:pk>/approve/",
        ReviewViewSet.as_view({"post": "approve"}),
        name="api-review-approve",
    ),
    path(
        P + "reviews/<int:pk>/return/",
        ReviewViewSet.as_view({"post": "return_"}),
        name="api-review-return",
    ),
    path(
        P + "feedback/",
        FeedbackViewSet.as_view({"get": "list", "post": "create"}),
        name="api-feedback-list",
    ),
    path(
        P + "feedback/<int:pk>/",
        FeedbackViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="api-feedback",
    ),
    path(
        P + "feedback-criteria/",
        FeedbackCriterionViewSet.as_view({"get": "list", "post": "create"}),
        name="api-feedback-criteria",
    ),
    path(
        P + "feedback-criteria/<int:pk>/",
        FeedbackCriterionViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}
        ),
        name="api-feedback-criterion",
    ),
]
