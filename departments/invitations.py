"""Invitations: how a user joins an organization (audit finding #2).

An admin invites by e-mail address or by username; the invitee accepts or declines. Until
they accept, the organization learns nothing about them (it sees only what the inviter
typed) and they receive nothing but the invitation email. The answer to the inviter is the
same whether or not an account with that address or name exists.

- An e-mail invitation is accepted by whoever holds its link and is signed in (the link,
  sent to that address only, is the secret): the address need not be the account's.
- A username invitation can only be accepted by that account: from the link of its email
  (when the account has an address) or from the account's organization list.

The link's token is `<organization id>.<random>`: the organization id lets the lookup run
with the database set to that organization (row-level security), and only the SHA-256 of
the whole token is stored. Writes (`invitation_*`) and reads (`*_get`, `*_list`) of the
feature live side by side here, as the rest of departments keeps them in services.py and
selectors.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from perfhub import tenancy

from .models import Invitation, Membership, Organization, Profile, Role

log = logging.getLogger(__name__)
User = get_user_model()
Status = Invitation.Status


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(org: Organization) -> str:
    return f"{org.pk}.{secrets.token_urlsafe(32)}"


def invitation_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("invitation_respond", args=[token])


# --- reads --------------------------------------------------------------------------------


def invitation_list(*, org, pending_only: bool = False) -> QuerySet[Invitation]:
    """The organization's invitations, newest first, with who sent them."""
    qs = Invitation.objects.for_org(org).select_related("invited_by").order_by("-created_at")
    if pending_only:
        qs = qs.filter(
            accepted_at=None, declined_at=None, revoked_at=None, expires_at__gt=timezone.now()
        )
    return qs


def invitation_get(*, org, pk) -> Invitation:
    """One invitation of the organization, or 404 (also for another tenant's id)."""
    return tenancy.get_or_404(invitation_list(org=org), pk)


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation of a link's token (any state), or None for a token that names none.

    Read with the database set to the organization the token names (one query)."""
    org_id, _dot, secret = (token or "").partition(".")
    # An id beyond PostgreSQL's bigint would fail in the database setting: no such token.
    if not org_id.isdigit() or len(org_id) > 18 or not secret or len(token) > 200:
        return None
    with tenancy.org_atomic(int(org_id)):
        return (
            Invitation.objects.for_org(int(org_id))
            .filter(token_hash=_hash(token))
            .select_related("organization")
            .first()
        )


def invitation_list_for_user(*, user) -> list[Invitation]:
    """Pending username invitations addressed to the user, in every organization (shown on
    their organization list). Read through the user setting, like their memberships."""
    with tenancy.user_visible(user):
        return list(
            Invitation.objects.unscoped()  # narrowed to one invitee right here
            .filter(
                invited_user=user,
                accepted_at=None,
                declined_at=None,
                revoked_at=None,
                expires_at__gt=timezone.now(),
            )
            .select_related("organization")
            .order_by("-created_at")
        )


def invitation_get_for_user(*, user, pk) -> Invitation:
    """One invitation addressed to the user by username (any state), or 404."""
    with tenancy.user_visible(user):
        found = (
            Invitation.objects.unscoped()  # narrowed to one invitee right here
            .filter(invited_user=user, pk=pk if str(pk).isdigit() else None)  # type: ignore[misc]
            .select_related("organization")
            .first()
        )
    if found is None:
        raise Http404
    return found


# --- writes -------------------------------------------------------------------------------


def refusal_for(*, invitation: Invitation, user=None) -> str | None:
    """Why `user` cannot answer the invitation, or None when they can (without a user:
    whether anyone still can)."""
    reason = {
        Status.ACCEPTED: _("This invitation has already been accepted."),
        Status.DECLINED: _("This invitation has been declined."),
        Status.REVOKED: _("This invitation has been withdrawn by the organization."),
        Status.EXPIRED: _("This invitation has expired. Ask the organization for a new one."),
    }.get(invitation.status)  # type: ignore[call-overload]  # a Status is its str value
    if (
        reason is None
        and user is not None
        and invitation.kind == Invitation.Kind.USERNAME
        and invitation.invited_user_id != user.pk
    ):
        reason = _("This invitation is for another account.")
    return reason


@transaction.atomic
def invitation_create(*, org: Organization, by, role: str, email: str = "", username: str = ""):
    """Invite someone by e-mail address or by username (exactly one) to take `role`.

    The answer is the same whether or not an account with that address or name exists:
    the invitation is recorded with what was typed, and an email with the link goes to the
    address typed, or to the account of the username when it has one. A username that names
    no account gets an invitation nobody can accept (and no email)."""
    email = (email or "").strip()
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Choose one of: %s.") % ", ".join(Role.values)]
    if bool(email) == bool(username):
        errors["email"] = [_("Give either an e-mail address or a username.")]
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)
    kind = Invitation.Kind.EMAIL if email else Invitation.Kind.USERNAME
    target = email or username
    invited_user = None
    if kind == Invitation.Kind.USERNAME:
        invited_user = User.objects.filter(username=username, is_active=True).first()
        # The admin already sees the usernames of the members: this says nothing new.
        if (
            invited_user is not None
            and Membership.objects.for_org(org).filter(user=invited_user).exists()
        ):
            raise ValidationError({"username": [_("%s is already a member.") % username]})
    lookup = {"target__iexact": target} if email else {"target": target}
    if invitation_list(org=org, pending_only=True).filter(kind=kind, **lookup).exists():
        raise ValidationError(
            {
                kind: [
                    _("%s already has an invitation waiting. Withdraw it to send a new one.")
                    % target
                ]
            }
        )
    token = _new_token(org)
    invitation = Invitation(
        organization=org,
        kind=kind,
        target=target,
        invited_user=invited_user,
        role=role,
        invited_by=by,
        token_hash=_hash(token),
        expires_at=timezone.now() + dt.timedelta(days=settings.PERFHUB_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    address = email or (invited_user.email if invited_user else "")
    if address:
        transaction.on_commit(
            lambda: _send_invitation(invitation=invitation, token=token, address=address)
        )
    return invitation


def _send_invitation(*, invitation: Invitation, token: str, address: str) -> None:
    """The one email an invitee gets before accepting: the link, in the invitee's language
    (their profile's for a username invitation, else the organization's)."""
    org = invitation.organization
    profile = (
        Profile.objects.filter(user_id=invitation.invited_user_id).first()
        if invitation.invited_user_id
        else None
    )
    language = (profile.language if profile and profile.language else None) or org.language
    with translation.override(language):
        text = render_to_string(
            "departments/email/invitation.txt",
            {
                "org": org,
                "role": invitation.get_role_display(),
                "inviter": invitation.invited_by,
                "url": invitation_link(token),
                "expires": timezone.localtime(invitation.expires_at),
            },
        )
    subject, _sep, body = text.strip().partition("\n")
    try:
        send_mail(subject.strip(), body.strip() + "\n", None, [address])
    except Exception:  # noqa: BLE001 - the invitation stands; the admin can send it again
        log.warning("invitation %s: email not sent", invitation.pk, exc_info=True)


def invitation_revoke(*, invitation: Invitation, by) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    with tenancy.org_atomic(invitation.organization_id):
        invitation = (
            Invitation.objects.for_org(invitation.organization_id)
            .select_for_update()
            .get(pk=invitation.pk)
        )
        if invitation.status != Status.PENDING:
            raise ValidationError(
                {"invitation": [_("Only an invitation waiting for an answer can be withdrawn.")]}
            )
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        return invitation


def _answerable(invitation: Invitation, user) -> Invitation:
    """The invitation locked for the answer of `user`, or a ValidationError saying why not.

    Runs with the database set to the invitation's organization."""
    invitation = (
        Invitation.objects.for_org(invitation.organization_id)
        .select_for_update()
        .select_related("organization")
        .get(pk=invitation.pk)
    )
    reason = refusal_for(invitation=invitation, user=user)
    if reason:
        raise ValidationError({"token": [reason]})
    return invitation


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The signed-in `user` accepts: they become a member with the invitation's role."""
    with tenancy.org_atomic(invitation.organization_id):
        invitation = _answerable(invitation, user)
        org = invitation.organization
        if Membership.objects.for_org(org).filter(user=user).exists():
            raise ValidationError({"token": [_("You are already a member of %s.") % org.name]})
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    organization=org, user=user, role=invitation.role
                )
        except IntegrityError as exc:
            raise ValidationError(
                {"token": [_("You are already a member of %s.") % org.name]}
            ) from exc
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        return membership


def invitation_accept_new_user(*, invitation: Invitation, username: str, password: str):
    """Someone without an account accepts an e-mail invitation: the account is created with
    the invitation's address (the link, sent there, proves it) and joins at once. Returns
    the new user's membership."""
    if invitation.kind != Invitation.Kind.EMAIL:
        raise ValidationError({"token": [_("Sign in with the invited account to accept.")]})
    reason = refusal_for(invitation=invitation)
    if reason:
        raise ValidationError({"token": [reason]})
    with transaction.atomic():
        user = User(username=(username or "").strip(), email=invitation.target)
        try:
            user.full_clean(exclude=["password"])
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"password1": exc.messages}
            ) from exc
        user.set_password(password)
        user.save()
        return invitation_accept(invitation=invitation, user=user)


def invitation_decline(*, invitation: Invitation, user) -> Invitation:
    """The signed-in `user` declines: the link stops working."""
    with tenancy.org_atomic(invitation.organization_id):
        invitation = _answerable(invitation, user)
        invitation.declined_at = timezone.now()
        invitation.save(update_fields=["declined_at"])
        return invitation
