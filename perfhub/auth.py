"""Signing in: the lockout answer for the browser form and the API, the client address
behind the proxy, the API token view, and ending a user's sessions and tokens.

Lockout itself is django-axes (settings "Sign-in lockout"): its backend refuses a locked
account or address before any password is checked, and its middleware hands the refused
request to `lockout_response` here."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.sessions.models import Session
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.settings import api_settings


def lockout_message() -> str:
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return _(
        "Too many failed sign-ins for this account or from this address: signing in is "
        "blocked for %(minutes)s minutes. Wait, or ask an administrator to unlock it."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 with the reason: JSON for the API, the sign-in page (with the message) otherwise."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    context = {"form": AuthenticationForm(request), "lockout": message, "next": ""}
    return render(request, "registration/login.html", context, status=429)


def client_username(request, credentials=None) -> str | None:
    """The username a sign-in attempt names, as axes records it: cut to the length of a
    username and without NUL (a fuzzed or hostile name must not make the record fail)."""
    value = (credentials or {}).get("username")
    if value is None:
        data = getattr(request, "data", None) or getattr(request, "POST", None) or {}
        value = data.get("username") if hasattr(data, "get") else None
    if value is None:
        return None
    return str(value).replace("\x00", "")[:150]


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or with PERFHUB_PROXY_COUNT proxies in front of
    the app the address the outermost of them saw (the rest of X-Forwarded-For can be
    forged by the client)."""
    proxies = settings.PERFHUB_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


class ObtainToken(ObtainAuthToken):
    """POST username and password → {"token": …}. The credentials are checked against the
    Django request itself, so a lockout is seen by the axes middleware (429). Refused
    credentials are answered, not raised: DRF rolls the request transaction back on a raised
    error, and with it the failed attempt axes has just recorded."""

    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken sets its own

    def get_serializer_context(self):
        return {"request": self.request._request, "format": self.format_kwarg, "view": self}

    @extend_schema(request=AuthTokenSerializer, responses={200: dict, 429: dict})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


obtain_token = ObtainToken.as_view()


def user_sign_out_everywhere(*, user_id: int) -> int:
    """Delete the user's API tokens and end their browser sessions; returns how many
    sessions ended. Sessions are found by reading the unexpired ones (run rarely: when
    someone loses their last organization)."""
    Token.objects.filter(user_id=user_id).delete()
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
