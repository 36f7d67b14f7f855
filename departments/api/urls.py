from django.urls import path

from .views import (
    DepartmentViewSet,
    InvitationAcceptViewSet,
    InvitationViewSet,
    MemberViewSet,
    OrganizationDetailViewSet,
    OrganizationViewSet,
)

urlpatterns = [
    path("orgs/", OrganizationViewSet.as_view({"get": "list", "post": "create"}), name="api-orgs"),
    path(
        "orgs/<slug:org_slug>/",
        OrganizationDetailViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-org-detail",
    ),
    path(
        "orgs/<slug:org_slug>/members/",
        MemberViewSet.as_view({"get": "list"}),
        name="api-members",
    ),
    path(
        "orgs/<slug:org_slug>/members/<int:pk>/",
        MemberViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="api-member-detail",
    ),
    path(
        "orgs/<slug:org_slug>/invitations/",
        InvitationViewSet.as_view({"get": "list", "post": "create"}),
        name="api-invitations",
    ),
    path(
        "orgs/<slug:org_slug>/invitations/<int:pk>/",
        InvitationViewSet.as_view({"delete": "destroy"}),
        name="api-invitation-detail",
    ),
    path(
        "invitations/<str:token>/accept/",
        InvitationAcceptViewSet.as_view({"post": "accept"}),
        name="api-invitation-accept",
    ),
    path(
        "orgs/<slug:org_slug>/departments/",
        DepartmentViewSet.as_view({"get": "list", "post": "create"}),
        name="api-departments",
    ),
    path(
        "orgs/<slug:org_slug>/departments/<int:pk>/",
        DepartmentViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="api-department-detail",
    ),
]
