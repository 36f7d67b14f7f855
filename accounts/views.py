"""Pages of the signed-in user: profile (email settings and API tokens) and passwords
(change when signed in, reset by email), the password pages rate-limited."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.forms import ProfileForm
from departments.services import profile_for
from perfhub import ratelimits
from perfhub.auth import client_ip
from perfhub.errors import add_service_errors

from . import selectors, services
from .forms import TokenForm


def _profile_page(request, *, form=None, token_form=None, new_key=None, status=200):
    context = {
        "form": form or ProfileForm(instance=profile_for(user=request.user)),
        "token_form": token_form or TokenForm(user=request.user),
        "tokens": selectors.token_list(user=request.user),
        "new_key": new_key,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    """The user's own settings: their name, the language of their emails and which emails
    they get."""
    form = ProfileForm(request.POST or None, instance=profile_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            services.user_name_set(
                user=request.user,
                given_name=form.cleaned_data["given_name"],
                family_name=form.cleaned_data["family_name"],
            )
            form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return _profile_page(request, form=form)


@login_required
@require_POST
def token_create(request):
    """A new token; its key is shown on this answer only (it is stored as a digest)."""
    form = TokenForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            _token, key = services.token_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _profile_page(request, new_key=key)
    return _profile_page(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke(request, pk):
    services.token_revoke(user=request.user, pk=pk)
    messages.success(request, _("The token is revoked."))
    return redirect("profile")


# --- Passwords -------------------------------------------------------------------------
def _address(group, request) -> str:
    return client_ip(request) or ""


def _email(group, request) -> str:
    return request.POST.get("email", "").strip().lower()[:254]


def _user(group, request) -> str:
    return str(request.user.pk)


class RateLimitedPost:
    """A POST over any of `rate_limits` ((group, key function, setting with the rate)) is
    answered 429 with the form and the reason, before the form is looked at. Counted in the
    cache (django-ratelimit), so shared by every web process."""

    rate_limits: tuple = ()

    def post(self, request, *args, **kwargs):
        limited = False
        for group, key, setting in self.rate_limits:
            rate = getattr(settings, setting)
            limited |= ratelimits.exceeded(request, group=group, key=key, rate=rate)
        if limited:
            context = self.get_context_data(
                form=self.get_form(),
                limited=_("Too many attempts. Wait an hour and try again."),
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)


class PasswordChange(RateLimitedPost, auth_views.PasswordChangeView):
    """The old password and a new one. Every other session and every API token of the user
    end (accounts.passwords); this session stays signed in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")
    rate_limits = (("password-change", _user, "PERFHUB_PASSWORD_CHANGE_RATE"),)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password is changed. Your other sessions and your API tokens have ended."),
        )
        return response


class PasswordReset(RateLimitedPost, auth_views.PasswordResetView):
    """An email with a one-time link. The answer is the same whether or not the address
    belongs to anyone; requests are limited per client address and per email address."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")
    rate_limits = (
        ("password-reset-address", _address, "PERFHUB_PASSWORD_RESET_RATE_ADDRESS"),
        ("password-reset-email", _email, "PERFHUB_PASSWORD_RESET_RATE_EMAIL"),
    )

    @property
    def extra_email_context(self):
        # The link names SITE_URL, never the request's Host header.
        return {"site_url": settings.SITE_URL.rstrip("/")}


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


password_change = method_decorator(login_required, name="dispatch")(PasswordChange).as_view()
password_reset = PasswordReset.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = PasswordResetConfirm.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
