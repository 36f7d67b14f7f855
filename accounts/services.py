"""Writes of API tokens: issued with a name, an expiry and an optional organization,
revoked one by one. Their keys are never stored (django-rest-knox keeps a digest)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.selectors import membership_for

from .models import ApiToken
from .selectors import token_get


@transaction.atomic
def token_create(
    *,
    user,
    name: str = "",
    expires_in: int | None = None,
    organization: str | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for `user`: valid `expires_in` days (PERFHUB_TOKEN_DAYS when not
    given, at most PERFHUB_TOKEN_MAX_DAYS), in the organization with the slug
    `organization` only when given (the user must be a member), else in all the user's
    organizations. Returns the row and the key, which is shown once and never stored."""
    days = settings.PERFHUB_TOKEN_DAYS if expires_in is None else expires_in
    if not 1 <= days <= settings.PERFHUB_TOKEN_MAX_DAYS:
        raise ValidationError(
            {
                "expires_in": _("Give a number of days from 1 to %(max)s.")
                % {"max": settings.PERFHUB_TOKEN_MAX_DAYS}
            }
        )
    scope = None
    if organization:
        membership = membership_for(user=user, slug=organization)
        if membership is None:
            raise ValidationError(
                {"organization": _("You are not a member of an organization with this slug.")}
            )
        scope = membership.organization
    token = ApiToken(user=user, name=name, scope_organization=scope)
    token.full_clean(exclude=["digest", "token_key", "expiry"])
    return ApiToken.objects.create(
        user=user, expiry=timedelta(days=days), name=name, scope_organization=scope
    )


@transaction.atomic
def token_revoke(*, user, pk) -> None:
    """End one of the user's tokens at once (404 for a token that is not theirs)."""
    token_get(user=user, pk=pk).delete()


@transaction.atomic
def user_name_set(*, user, given_name: str, family_name: str) -> None:
    """The user's given and family names (shown instead of the username everywhere, see
    perfhub.names): stripped, each at most the User model's 150 characters."""
    user.first_name = (given_name or "").strip()
    user.last_name = (family_name or "").strip()
    user.full_clean(exclude=["password", "username", "email"], validate_unique=False)
    user.save(update_fields=["first_name", "last_name"])
