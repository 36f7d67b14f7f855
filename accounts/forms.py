from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from departments.selectors import membership_list_for_user

from .sso.forms import SignInForm


class TokenForm(forms.Form):
    """A new API token on the profile page: the same fields as POST /api/v1/auth/token/."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    expires_in = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=settings.PERFHUB_TOKEN_MAX_DAYS
    )
    organization = forms.ChoiceField(label=_("Organization"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_in"].initial = settings.PERFHUB_TOKEN_DAYS
        self.fields["organization"].choices = [("", _("All my organizations"))] + [
            (m.organization.slug, m.organization.name) for m in membership_list_for_user(user=user)
        ]


__all__ = ["SignInForm", "TokenForm"]
