"""Writes for single sign-on: an organization's configurations and password policy (its
admin, through the page and the API), and linking a sign-in to an existing member."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from departments.models import IdentityProvider, MemberIdentity, Membership, Organization
from perfhub import tenancy
from perfhub.errors import save_unique

from ..models import SignOnConfig

CONFIG_FIELDS = ("enabled", "name", "client_id", "client_secret", "server_url", "agent_id")


@transaction.atomic
def signon_config_save(*, org: Organization, provider: str, by, **fields) -> SignOnConfig:
    """Create or change the organization's configuration for one provider. An empty or
    missing `client_secret` keeps the stored one (secrets are write-only); a new
    configuration needs one."""
    if provider not in IdentityProvider.values:
        raise ValidationError(
            {"provider": [_("Choose one of: %s.") % ", ".join(IdentityProvider.values)]}
        )
    unknown = set(fields) - set(CONFIG_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed.") for f in unknown})
    config = SignOnConfig.objects.for_org(org).filter(provider=provider).first()
    if config is None:
        config = SignOnConfig(organization=org, provider=provider)
    if not fields.get("client_secret"):
        fields.pop("client_secret", None)
    for key, value in fields.items():
        setattr(config, key, value)
    errors: dict[str, list[str]] = {}
    if not config.client_secret:
        errors["client_secret"] = [_("Enter the client secret.")]
    if provider == IdentityProvider.OIDC and not config.server_url:
        errors["server_url"] = [_("Enter the issuer URL of the OpenID Connect provider.")]
    if provider == IdentityProvider.WECOM and not config.agent_id:
        errors["agent_id"] = [_("Enter the AgentId of the WeCom application.")]
    if not config.enabled and not org.password_sign_in and _others_enabled(org, provider) == 0:
        errors["enabled"] = [_password_needs_signon()]
    try:
        config.full_clean()
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    save_unique(config)
    return config


@transaction.atomic
def signon_config_delete(*, org: Organization, provider: str, by) -> None:
    """Remove one provider's configuration; refused while it is the last way in for an
    organization without password sign-in."""
    config = SignOnConfig.objects.for_org(org).filter(provider=provider).first()
    if config is None:
        return
    if not org.password_sign_in and config.enabled and _others_enabled(org, provider) == 0:
        raise ValidationError({"enabled": [_password_needs_signon()]})
    config.delete()


@transaction.atomic
def password_sign_in_set(*, org: Organization, allowed: bool, by) -> Organization:
    """Let the organization's members sign in with a password, or not. Switching it off
    needs an enabled single sign-on, so that members keep a way in."""
    if not allowed and not SignOnConfig.objects.for_org(org).filter(enabled=True).exists():
        raise ValidationError({"password_sign_in": [_password_needs_signon()]})
    org.password_sign_in = allowed
    org.save(update_fields=["password_sign_in"])
    return org


def _others_enabled(org, provider: str) -> int:
    return SignOnConfig.objects.for_org(org).filter(enabled=True).exclude(provider=provider).count()


def _password_needs_signon() -> str:
    return _(
        "Password sign-in is off for this organization: keep at least one single sign-on "
        "enabled, or turn password sign-in back on first."
    )


# --- Linking a sign-in to a member --------------------------------------------------------
class SignOnRefused(Exception):
    """The provider's account is no member of the organization (or cannot be told apart)."""


@dataclass(frozen=True)
class SignOnLink:
    user: object
    created: bool  # True: this sign-in linked the member by e-mail (a new MemberIdentity)


def signon_member_link(
    *, org: Organization, provider: str, uids: list[str], emails: list[str]
) -> SignOnLink:
    """The member a sign-in with the organization's provider is: the user of a
    MemberIdentity with one of `uids` (set by the org-chart import or by an earlier
    sign-in), else the one member whose account has one of the verified `emails` — that
    link is then stored as a MemberIdentity (the first of `uids`). Never creates a user or
    a member: anything else raises SignOnRefused. Runs with the database set to the
    organization."""
    with tenancy.org_atomic(org):
        identity = (
            MemberIdentity.objects.for_org(org)
            .filter(provider=provider, uid__in=uids)
            .select_related("user")
            .first()
        )
        if identity is not None:
            user = identity.user
            if not user.is_active or not _is_member(org, user):
                raise SignOnRefused
            return SignOnLink(user=user, created=False)
        if not uids or not emails:
            raise SignOnRefused
        matches = Q()
        for email in emails:
            matches |= Q(user__email__iexact=email)
        users = list(
            get_user_model().objects.filter(
                pk__in=Membership.objects.for_org(org)
                .filter(matches, is_active=True)
                .values("user_id"),
                is_active=True,
            )
        )
        if len(users) != 1:
            raise SignOnRefused  # nobody, or several accounts share the address
        user = users[0]
        if MemberIdentity.objects.for_org(org).filter(provider=provider, user=user).exists():
            raise SignOnRefused  # the member is linked to another account of this provider
        MemberIdentity.objects.create(organization=org, user=user, provider=provider, uid=uids[0])
        return SignOnLink(user=user, created=True)


def _is_member(org, user) -> bool:
    return Membership.objects.for_org(org).filter(user=user, is_active=True).exists()
