"""API of an organization's single sign-on (its admin only): the configuration per
provider, the client secret write-only (set or replace, never returned), and the password
policy. The same services as the settings page."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.models import IdentityProvider
from departments.permissions import can_edit_settings
from perfhub.api import StrictInput

from ..models import SignOnConfig
from . import selectors, services
from .providers import callback_url


class SignOnConfigOut(serializers.ModelSerializer):
    has_secret = serializers.BooleanField(help_text="A client secret is stored (never shown).")
    redirect_uri = serializers.SerializerMethodField(
        help_text="The redirect URI to register with the provider."
    )

    class Meta:
        model = SignOnConfig
        fields = [
            "provider",
            "enabled",
            "name",
            "client_id",
            "server_url",
            "agent_id",
            "has_secret",
            "redirect_uri",
            "updated_at",
        ]

    def get_redirect_uri(self, config) -> str:
        return callback_url(self.context["org"].slug, config.provider)  # no query


class SignOnConfigIn(StrictInput, serializers.Serializer):
    enabled = serializers.BooleanField(default=True)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    client_id = serializers.CharField(max_length=200)
    client_secret = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Write-only. Omit or leave empty to keep the stored secret.",
    )
    server_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    agent_id = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class PasswordPolicy(StrictInput, serializers.Serializer):
    password_sign_in = serializers.BooleanField(
        help_text="Members may sign in with a password (off: single sign-on only)."
    )


def _provider(value: str) -> str:
    if value not in IdentityProvider.values:
        raise Http404
    return value


class SignOnConfigViewSet(OrgViewSet):
    """GET sign-on/, GET|PUT|DELETE sign-on/<provider>/ (dingtalk, feishu, wecom, oidc)."""

    serializer_class = SignOnConfigOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)
    pagination_class = None

    def scoped_queryset(self):
        return selectors.signon_config_list(org=self.org)

    def list(self, request, org_slug):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, org_slug, provider):
        config = selectors.signon_config_get(org=self.org, provider=_provider(provider))
        if config is None:
            raise Http404
        return Response(self.get_serializer(config).data)

    @extend_schema(request=SignOnConfigIn, responses=SignOnConfigOut)
    def update(self, request, org_slug, provider):
        data = SignOnConfigIn(data=request.data)
        data.is_valid(raise_exception=True)
        config = services.signon_config_save(
            org=self.org, provider=_provider(provider), by=request.user, **data.validated_data
        )
        return Response(self.get_serializer(config).data)

    def destroy(self, request, org_slug, provider):
        services.signon_config_delete(org=self.org, provider=_provider(provider), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordPolicyViewSet(OrgViewSet):
    """GET|PUT sign-on-policy/: whether members may sign in with a password."""

    serializer_class = PasswordPolicy
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def retrieve(self, request, org_slug):
        return Response({"password_sign_in": self.org.password_sign_in})

    @extend_schema(request=PasswordPolicy, responses=PasswordPolicy)
    def update(self, request, org_slug):
        data = PasswordPolicy(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.password_sign_in_set(
            org=self.org, allowed=data.validated_data["password_sign_in"], by=request.user
        )
        return Response({"password_sign_in": org.password_sign_in})
