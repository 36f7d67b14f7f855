"""Pages of single sign-on.

Public (no sign-in): the organization's sign-on page `/sso/<slug>/` (its buttons; found
from the sign-in page's "organization address" field through `/sso/?org=`), the start
(a POST with the CSRF token, to allauth's login view) and the callback (allauth's
callback view; state checked by allauth). Each resolves the organization from the address,
sets the database to it, and puts the configuration on the request for the adapter. A
missing organization and one without that sign-on answer alike (no slug oracle), and the
pages are limited per client address (PERFHUB_SSO_RATE_ADDRESS).

Admin: the organization's sign-on settings, `/o/<slug>/settings/sign-on/`."""

from __future__ import annotations

from allauth.socialaccount.providers import registry
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departments.access import org_view
from departments.models import IdentityProvider
from departments.permissions import can_edit_settings
from perfhub import ratelimits, tenancy
from perfhub.auth import client_ip, lockout_response
from perfhub.errors import add_service_errors

from . import selectors, services
from .adapter import provider_id, refusal, sso_app
from .forms import PasswordPolicyForm, SignOnConfigForm, password_off_message
from .providers import Oidc, callback_url


def _address(group, request) -> str:
    return client_ip(request) or ""


def _limited(request) -> bool:
    return ratelimits.exceeded(
        request, group="sso-address", key=_address, rate=settings.PERFHUB_SSO_RATE_ADDRESS
    )


def _too_many(request):
    return refusal(request, _("Too many attempts. Wait an hour and try again."), status=429)


def _config(slug: str, provider: str):
    """The enabled configuration at this address, with the database set to its
    organization; None for a missing organization, provider or configuration alike."""
    org = selectors.organization_by_slug(slug=slug)
    if org is None or provider not in IdentityProvider.values:
        return None
    tenancy.activate_org(org)
    return selectors.signon_config_get(org=org, provider=provider, enabled_only=True)


def _oauth2_adapter(request, config):
    provider_class = request.sso_provider_class
    if provider_class is Oidc:
        return provider_class.oauth2_adapter_class(request, provider_id(config))
    return provider_class.oauth2_adapter_class


def _prepare(request, config) -> None:
    request.sso_config = config
    request.sso_provider_class = registry.get_class(sso_app(config).provider)


@require_GET
def sso_find(request):
    """The sign-in page's "organization address" field: on to that organization's page."""
    slug = slugify(request.GET.get("org", ""))[:60]
    if not slug:
        return redirect("login")
    return redirect("sso_org", address=slug)


@require_GET
def sso_org(request, address):
    """The organization's sign-on buttons, and whether its members may use a password.
    Without sign-on (or without the organization) the same neutral page."""
    if _limited(request):
        return _too_many(request)
    org = selectors.organization_by_slug(slug=address)
    configs = []
    if org is not None:
        tenancy.activate_org(org)
        configs = list(selectors.signon_config_list(org=org, enabled_only=True))
    context = {
        "slug": address,
        "configs": configs,
        "password_off": bool(configs) and not org.password_sign_in,
        "password_off_message": password_off_message(),
        "next": request.GET.get("next", ""),
    }
    return render(request, "accounts/sso_org.html", context)


@require_POST
def sso_start(request, address, provider):
    """To the provider (allauth stores the state in the session)."""
    if _limited(request):
        return _too_many(request)
    if not AxesProxyHandler.is_allowed(request):
        return lockout_response(request)
    config = _config(address, provider)
    if config is None:
        raise Http404
    _prepare(request, config)
    return OAuth2LoginView.adapter_view(_oauth2_adapter(request, config))(request)


@require_GET
def sso_callback(request, address, provider):
    """Back from the provider: allauth checks the state and exchanges the code; the
    adapter links the member and signs them in, or refuses."""
    if not AxesProxyHandler.is_allowed(request):
        return lockout_response(request)
    config = _config(address, provider)
    if config is None:
        return refusal(
            request,
            _("Single sign-on did not complete. Start again from the sign-in page."),
            status=400,
        )
    _prepare(request, config)
    return OAuth2CallbackView.adapter_view(_oauth2_adapter(request, config))(request)


# --- The organization's settings (admin) --------------------------------------------------
def _provider_rows(org):
    configs = {c.provider: c for c in selectors.signon_config_list(org=org)}
    return [
        {
            "provider": value,
            "label": label,
            "config": configs.get(value),
            "callback": callback_url(org.slug, value),
        }
        for value, label in IdentityProvider.choices
    ]


@org_view(can_edit_settings)
def signon_settings(request):
    """Every provider with its state and redirect URI, and the password policy."""
    form = PasswordPolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"password_sign_in": request.org.password_sign_in},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.password_sign_in_set(
                org=request.org, allowed=form.cleaned_data["password_sign_in"], by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("signon_settings", slug=request.org.slug)
    context = {"form": form, "rows": _provider_rows(request.org)}
    return render(request, "accounts/signon_settings.html", context)


@org_view(can_edit_settings)
def signon_edit(request, provider):
    """One provider's configuration: set up, change (the secret only replaced), remove."""
    if provider not in IdentityProvider.values:
        raise Http404
    config = selectors.signon_config_get(org=request.org, provider=provider)
    data = request.POST if request.method == "POST" else None
    form = SignOnConfigForm(data, instance=config, provider=provider)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.signon_config_save(
                org=request.org, provider=provider, by=request.user, **fields
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Single sign-on saved."))
            return redirect("signon_settings", slug=request.org.slug)
    context = {
        "form": form,
        "config": config,
        "provider": provider,
        "provider_label": IdentityProvider(provider).label,
        "callback": callback_url(request.org.slug, provider),
    }
    return render(request, "accounts/signon_edit.html", context, status=400 if form.errors else 200)


@require_POST
@org_view(can_edit_settings)
def signon_delete(request, provider):
    if provider not in IdentityProvider.values:
        raise Http404
    try:
        services.signon_config_delete(org=request.org, provider=provider, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Single sign-on removed."))
    return redirect("signon_settings", slug=request.org.slug)
