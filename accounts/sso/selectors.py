"""Reads for single sign-on. Before an organization is chosen the database shows no tenant
rows: the organization (not a tenant table) is found by its slug first, then its
configuration is read with the database set to it (the caller's org_atomic/activate_org)."""

from __future__ import annotations

from django.db.models import QuerySet

from departments.models import IdentityProvider, Membership, Organization
from perfhub import tenancy

from ..models import SignOnConfig


def organization_by_slug(*, slug: str) -> Organization | None:
    """The organization at this address, or None. Organizations are not tenant rows."""
    return Organization.objects.filter(slug=slug).first()


def signon_config_list(*, org, enabled_only: bool = False) -> QuerySet[SignOnConfig]:
    """The organization's sign-on configurations, ordered by provider."""
    qs = SignOnConfig.objects.for_org(org).select_related("organization")
    return qs.filter(enabled=True) if enabled_only else qs


def signon_config_get(*, org, provider: str, enabled_only: bool = False) -> SignOnConfig | None:
    """One provider's configuration of the organization, or None."""
    if provider not in IdentityProvider.values:
        return None
    return signon_config_list(org=org, enabled_only=enabled_only).filter(provider=provider).first()


def password_sign_in_refused(*, user) -> bool:
    """True when the user must sign in by single sign-on: a member of any organization that
    switched password sign-in off, unless a superuser (operators keep their password: the
    operators' admin and a way in when a provider is down). Read through the user's own
    memberships (tenancy.user_visible), before any organization is chosen."""
    if user.is_superuser:
        return False
    with tenancy.user_visible(user):
        return (
            Membership.objects.unscoped()  # narrowed to one user right here
            .filter(user=user, is_active=True, organization__password_sign_in=False)
            .exists()
        )
