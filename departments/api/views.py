"""Organizations, members and departments API (SPEC §6)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from perfhub.api import rate_limit
from perfhub.ratelimits import DOCUMENTED

from .. import invitations, selectors, services
from ..access import token_scope
from ..models import Organization
from ..permissions import can_configure, can_edit_settings, can_manage_members, is_member
from .base import OrgViewSet
from .filters import DepartmentFilter
from .serializers import (
    DepartmentIn,
    DepartmentOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberRoleIn,
    OrganizationIn,
    OrganizationOut,
    OrganizationSettingsIn,
)


class OrganizationViewSet(viewsets.GenericViewSet):
    """The caller's organizations; creating one makes the caller its admin."""

    serializer_class = OrganizationOut
    lookup_field = "slug"
    lookup_url_kwarg = "org_slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return selectors.membership_list_for_user(user=self.request.user)

    def list(self, request):
        memberships = selectors.membership_list_for_user(user=request.user)
        scope = token_scope(request)
        if scope is not None:  # a token limited to one organization sees that one only
            memberships = [m for m in memberships if m.organization_id == scope]
        page = self.paginate_queryset(memberships)
        orgs = []
        for m in page:
            m.organization.role = m.role
            orgs.append(m.organization)
        return self.get_paginated_response(OrganizationOut(orgs, many=True).data)

    @extend_schema(request=OrganizationIn, responses={201: OrganizationOut}, extensions=DOCUMENTED)
    def create(self, request):
        if token_scope(request) is not None:
            raise PermissionDenied(_("A token limited to one organization cannot create one."))
        data = OrganizationIn(data=request.data)
        data.is_valid(raise_exception=True)
        rate_limit(request, "organization_create")
        org = services.organization_create(by=request.user, **data.validated_data)
        org.role = "admin"
        return Response(OrganizationOut(org).data, status=status.HTTP_201_CREATED)


class OrganizationDetailViewSet(OrgViewSet):
    """One organization's settings: members read them, its admin changes them."""

    serializer_class = OrganizationOut
    write_predicate = staticmethod(can_edit_settings)

    def retrieve(self, request, org_slug):
        self.org.role = self.membership.role
        return Response(OrganizationOut(self.org).data)

    @extend_schema(request=OrganizationSettingsIn, responses=OrganizationOut)
    def partial_update(self, request, org_slug):
        data = OrganizationSettingsIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = services.organization_update(org=self.org, by=request.user, **data.validated_data)
        org.role = self.membership.role
        return Response(OrganizationOut(org).data)


class MemberViewSet(OrgViewSet):
    """Members and their roles. Admin and HR read; the admin changes and removes. Members
    join by invitation (InvitationViewSet), never added directly."""

    serializer_class = MemberOut
    read_predicate = staticmethod(can_configure)
    write_predicate = staticmethod(can_manage_members)

    def scoped_queryset(self):
        return selectors.membership_list(org=self.org)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(MemberOut(selectors.membership_get(org=self.org, pk=pk)).data)

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method == "POST" and "pk" not in kwargs:
            raise exceptions.MethodNotAllowed(
                "POST",
                detail=_(
                    "Members are not added directly: invite them with POST "
                    "/api/v1/orgs/%(slug)s/invitations/ and they join when they accept."
                )
                % {"slug": self.org.slug},
            )
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(request=MemberRoleIn, responses=MemberOut)
    def partial_update(self, request, org_slug, pk):
        membership = selectors.membership_get(org=self.org, pk=pk)
        data = MemberRoleIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            membership=membership, role=data.validated_data["role"], by=request.user
        )
        return Response(MemberOut(membership).data)

    def destroy(self, request, org_slug, pk):
        membership = selectors.membership_get(org=self.org, pk=pk)
        services.membership_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationViewSet(OrgViewSet):
    """Invitations to join the organization: whoever manages members lists, sends and
    withdraws them. The answer to a new invitation is the same whether or not an account
    with that address or username exists (departments.invitations)."""

    serializer_class = InvitationOut
    read_predicate = staticmethod(can_manage_members)
    write_predicate = staticmethod(can_manage_members)

    def scoped_queryset(self):
        return invitations.invitation_list(org=self.org)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InvitationOut(page, many=True).data)

    @extend_schema(request=InvitationIn, responses={201: InvitationOut}, extensions=DOCUMENTED)
    def create(self, request, org_slug):
        data = InvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        rate_limit(request, "invitation_create")
        invitation = invitations.invitation_create(
            org=self.org, by=request.user, **data.validated_data
        )
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        invitation = invitations.invitation_get(org=self.org, pk=pk)
        invitations.invitation_revoke(invitation=invitation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptViewSet(viewsets.GenericViewSet):
    """The invitee, signed in, accepts with the token of the invitation link and becomes a
    member; the answer is the organization with their role."""

    serializer_class = OrganizationOut
    queryset = Organization.objects.none()  # nothing is listed here

    @extend_schema(request=None, responses={200: OrganizationOut})
    def accept(self, request, token):
        invitation = invitations.invitation_for_token(token=token)
        if invitation is None:
            raise exceptions.NotFound(_("This invitation link is not valid."))
        membership = invitations.invitation_accept(invitation=invitation, user=request.user)
        org = membership.organization
        org.role = membership.role
        return Response(OrganizationOut(org).data)


class DepartmentViewSet(OrgViewSet):
    """The department tree. Every member reads it; admin and HR change it."""

    serializer_class = DepartmentOut
    read_predicate = staticmethod(is_member)
    write_predicate = staticmethod(can_configure)
    filterset_class = DepartmentFilter

    def scoped_queryset(self):
        return selectors.department_list(org=self.org)

    def list(self, request, org_slug):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DepartmentOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(DepartmentOut(selectors.department_get(org=self.org, pk=pk)).data)

    @extend_schema(request=DepartmentIn, responses={201: DepartmentOut})
    def create(self, request, org_slug):
        data = DepartmentIn(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        department = services.department_create(
            org=self.org, by=request.user, **data.validated_data
        )
        department = selectors.department_get(org=self.org, pk=department.pk)
        return Response(DepartmentOut(department).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DepartmentIn, responses=DepartmentOut)
    def partial_update(self, request, org_slug, pk):
        department = selectors.department_get(org=self.org, pk=pk)
        data = DepartmentIn(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        services.department_update(department=department, by=request.user, **data.validated_data)
        department = selectors.department_get(org=self.org, pk=pk)
        return Response(DepartmentOut(department).data)


__all__ = [
    "DepartmentViewSet",
    "InvitationAcceptViewSet",
    "InvitationViewSet",
    "MemberViewSet",
    "OrganizationDetailViewSet",
    "OrganizationViewSet",
]
