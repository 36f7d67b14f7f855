"""Signing in: the lockout answer for the browser form and the API, the client address
behind the proxy, the second (per-address) lockout limit, and ending a user's sessions and
tokens. (Tokens, sessions and password pages themselves are the `accounts` app.)

Lockout itself is django-axes (settings "Sign-in lockout"): its backend refuses a locked
account or address before any password is checked, and its middleware hands the refused
request to `lockout_response` here."""

from __future__ import annotations

import math
from importlib import import_module

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from knox.models import get_token_model


def lockout_message() -> str:
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from this address: signing in is "
        "blocked for %(minutes)s minute. Wait, or ask an administrator to unlock it.",
        "Too many failed sign-ins for this account or from this address: signing in is "
        "blocked for %(minutes)s minutes. Wait, or ask an administrator to unlock it.",
        minutes,
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


class SignInAttempts(AxesDatabaseHandler):
    """Axes' database handler with a second limit: besides the failures counted per
    AXES_LOCKOUT_PARAMETERS (by default one account from one address, AXES_FAILURE_LIMIT),
    an address is refused once it has PERFHUB_ADDRESS_FAILURE_LIMIT failures within the
    cool-off, across every username it tried. The failures are axes' own records (each has
    its address), so axes' admin, `axes_reset_ip` and the cool-off apply to both limits."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.address_is_locked(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """The failure that reaches the address limit is answered with the lockout already,
        as axes does for its own limit. The right password of a member whose organization
        switched password sign-in off (accounts.backends) is no failure: it is not counted,
        so it never locks the member out of single sign-on."""
        if getattr(request, "perfhub_password_off", False):
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
        locked = request is None or getattr(request, "axes_locked_out", False)
        if not locked and self.address_is_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def address_is_locked(self, request) -> bool:
        limit = settings.PERFHUB_ADDRESS_FAILURE_LIMIT
        address = getattr(request, "axes_ip_address", None) or client_ip(request)
        if limit <= 0 or not address:
            return False
        failures = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(total=Sum("failures_since_start"))["total"]
        return (failures or 0) >= limit


def user_sign_out_everywhere(*, user_id: int) -> int:
    """Delete the user's API tokens and end their browser sessions; returns how many
    sessions ended. Two indexed deletes: tokens and sessions both carry the user's id
    (KNOX_TOKEN_MODEL, SESSION_ENGINE = accounts.sessions)."""
    get_token_model().objects.filter(user_id=user_id).delete()
    sessions = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()
    ended, _per_model = sessions.objects.filter(user_id=user_id).delete()
    return ended
