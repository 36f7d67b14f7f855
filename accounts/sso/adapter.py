"""The bridge between allauth and PerfHub's organizations.

allauth keeps one application per provider and site (SocialApp); here each organization has
its own (accounts.SignOnConfig). accounts.sso.views resolves the organization from the
address (`/sso/<slug>/<provider>/…`), sets the database to it and puts the configuration on
the request; `get_app` turns that configuration into an unsaved SocialApp whose provider id
names the organization, so allauth's state of one organization is never found at another's
callback. allauth's own sign-up and account linking are never reached: `pre_social_login`
links the sign-in to an existing member (or refuses) and answers itself."""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import login
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from perfhub.auth import lockout_response

from .providers import ALLAUTH_IDS
from .services import SignOnRefused, signon_member_link

log = logging.getLogger(__name__)

# Sessions of single sign-on are the same as password sessions (a ModelBackend subclass).
BACKEND = "accounts.backends.PasswordPolicyBackend"


def provider_id(config) -> str:
    """allauth's provider id (and key of its state in the session): names the organization."""
    return f"{config.provider}-org{config.organization_id}"


def sso_app(config) -> SocialApp:
    """An unsaved allauth application for one organization's configuration."""
    return SocialApp(
        provider=ALLAUTH_IDS[config.provider],
        provider_id=provider_id(config),
        name=config.label,
        client_id=config.client_id,
        secret=config.client_secret,
        settings={
            "server_url": config.server_url,
            "agent_id": config.agent_id,
            # The userinfo answer carries email_verified; the ID token is checked as well.
            "fetch_userinfo": True,
        },
    )


def refusal(request, message: str, *, status: int):
    """The sign-on page's refusal: the reason and the way back to sign-in."""
    return render(request, "accounts/sso_refused.html", {"message": message}, status=status)


def count_failure(request, name: str) -> None:
    """A failed single sign-on counts as a failed sign-in (axes) for a pseudo username of
    the provider's account, so the per-address limit covers it too."""
    user_login_failed.send(
        sender=__name__, credentials={"username": name.replace("\x00", "")[:150]}, request=request
    )


class SignOnAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        config = getattr(request, "sso_config", None)
        return [] if config is None else [sso_app(config)]

    def get_app(self, request, provider, client_id=None):
        apps = self.list_apps(request, provider=provider, client_id=client_id)
        if not apps:
            raise SocialApp.DoesNotExist
        return apps[0]

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False  # never reached (pre_social_login answers), and never wanted

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        """A cancelled sign-in, a tampered or stale state, a provider's error: counted as a
        failed sign-in, and answered with one neutral message."""
        config = request.sso_config
        log.warning(
            "single sign-on failed: org=%s provider=%s error=%s exception=%r",
            config.organization_id,
            config.provider,
            error,
            exception,
        )
        count_failure(request, f"sso:{config.provider}:{config.organization.slug}")
        message = _("Single sign-on did not complete. Start again from the sign-in page.")
        raise ImmediateHttpResponse(refusal(request, message, status=400))

    def pre_social_login(self, request, sociallogin):
        """Link the provider's account to an existing member of the organization and sign
        them in, or refuse; allauth's own flow never continues past here."""
        config = request.sso_config
        org = config.organization
        provider = sociallogin.account.get_provider()
        data = sociallogin.account.extra_data
        uids = provider.member_uids(data)
        try:
            link = signon_member_link(
                org=org, provider=config.provider, uids=uids, emails=provider.verified_emails(data)
            )
        except SignOnRefused:
            count_failure(request, f"sso:{config.provider}:{(uids or ['?'])[0]}")
            message = _(
                "Your %(provider)s account is not a member of %(organization)s in PerfHub. "
                "Ask your HR to add you."
            ) % {"provider": config.label, "organization": org.name}
            raise ImmediateHttpResponse(refusal(request, message, status=403)) from None
        user = link.user
        if not AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
            raise ImmediateHttpResponse(lockout_response(request))
        login(request, user, backend=BACKEND)
        next_url = (sociallogin.state or {}).get("next") or ""
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        raise ImmediateHttpResponse(
            redirect(next_url or "org_home", slug=org.slug) if not next_url else redirect(next_url)
        )
