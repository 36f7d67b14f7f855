"""POST /api/v1/auth/token/: username and password (and optionally a name, a lifetime and
one organization) give a new API token. Locked out by axes like the sign-in page (429)."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, renderers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from perfhub.api import StrictInput
from perfhub.parsers import JSONParser

from . import services
from .sso.forms import password_off_message


class TokenIn(StrictInput, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    expires_in = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.PERFHUB_TOKEN_MAX_DAYS,
        help_text=_("Days the token is valid (default PERFHUB_TOKEN_DAYS)."),
    )
    organization = serializers.SlugField(
        required=False,
        help_text=_("Slug of the one organization the token may be used in (default: all)."),
    )

    def validate(self, attrs):
        user = authenticate(
            request=self.context["request"],
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None and getattr(self.context["request"], "perfhub_password_off", False):
            raise serializers.ValidationError(password_off_message(), code="authorization")
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text=_("The key: send it as `Authorization: Token <key>`."))
    name = serializers.CharField()
    expiry = serializers.DateTimeField()
    organization = serializers.SlugField(allow_null=True)


class LockedOut(serializers.Serializer):
    detail = serializers.CharField()


class ObtainToken(APIView):
    """The credentials are checked against the Django request itself, so a lockout is seen
    by the axes middleware (429). Refused credentials are answered, not raised: DRF rolls
    the request transaction back on a raised error, and with it the failed attempt axes has
    just recorded."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    # The depth-checked JSON parser (the default), named: DRF's token view sets its own.
    parser_classes = (JSONParser, parsers.FormParser, parsers.MultiPartParser)
    renderer_classes = (renderers.JSONRenderer,)

    @extend_schema(
        request=TokenIn,
        responses={200: TokenOut, 429: OpenApiResponse(LockedOut, "Too many failed sign-ins.")},
    )
    def post(self, request, *args, **kwargs):
        data = TokenIn(data=request.data, context={"request": request._request})
        if not data.is_valid():
            return Response(data.errors, status=status.HTTP_400_BAD_REQUEST)
        fields = data.validated_data
        token, key = services.token_create(
            user=fields["user"],
            name=fields["name"],
            expires_in=fields.get("expires_in"),
            organization=fields.get("organization"),
        )
        scope = token.scope_organization
        return Response(
            TokenOut(
                {
                    "token": key,
                    "name": token.name,
                    "expiry": token.expiry,
                    "organization": scope.slug if scope else None,
                }
            ).data
        )


obtain_token = ObtainToken.as_view()
