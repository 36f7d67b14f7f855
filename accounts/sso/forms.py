"""Forms of the sign-on pages: an organization's configuration of one provider (secret
write-only) and its password policy; the sign-in page's form with the policy's message."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from departments.models import IdentityProvider

from ..models import SignOnConfig


class SignOnConfigForm(forms.ModelForm):
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Never shown again. Leave empty to keep the stored secret."),
    )

    server_url = forms.URLField(
        label=_("Issuer URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=SignOnConfig._meta.get_field("server_url").help_text,
    )

    class Meta:
        model = SignOnConfig
        fields = ["enabled", "name", "client_id", "client_secret", "server_url", "agent_id"]

    def __init__(self, *args, provider: str, **kwargs):
        super().__init__(*args, **kwargs)
        if provider != IdentityProvider.OIDC:
            del self.fields["server_url"]
        if provider != IdentityProvider.WECOM:
            del self.fields["agent_id"]

    def clean(self):
        data = super().clean()
        if not self.instance.has_secret and not data.get("client_secret"):
            self.add_error("client_secret", _("Enter the client secret."))
        return data


class PasswordPolicyForm(forms.Form):
    password_sign_in = forms.BooleanField(
        label=_("Members may sign in with a password"),
        required=False,
        help_text=_(
            "Off: members sign in through single sign-on only (operators excepted). A member "
            "of several organizations is held to the strictest."
        ),
    )


class SignInForm(AuthenticationForm):
    """Django's sign-in form; after the right password of a member whose organization
    switched password sign-in off, it says so (accounts.backends)."""

    def get_invalid_login_error(self):
        if getattr(self.request, "perfhub_password_off", False):
            return ValidationError(password_off_message(), code="password_off")
        return super().get_invalid_login_error()


def password_off_message() -> str:
    return str(
        _(
            "Your organization signs in with single sign-on only. Use your organization's "
            "sign-on button below."
        )
    )
