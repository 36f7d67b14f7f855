"""Reads of a user's own API tokens (never another user's: every read starts from the user)."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import ApiToken


def token_list(*, user) -> QuerySet[ApiToken]:
    """The user's unexpired tokens, newest first, with their organization."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return (
        ApiToken.objects.filter(live, user=user)
        .select_related("scope_organization")
        .order_by("-created", "-id")
    )


def token_get(*, user, pk) -> ApiToken:
    """One of the user's tokens, or 404 (another user's token does not exist for them)."""
    try:
        return ApiToken.objects.get(user=user, pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
