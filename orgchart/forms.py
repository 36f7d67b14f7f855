from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import IdentityProvider


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Org chart or contacts export (.xlsx or .csv)"))
    platform = forms.ChoiceField(
        label=_("Platform of the user ids"),
        required=False,
        choices=[("", _("As the file says"))] + list(IdentityProvider.choices),
        help_text=_(
            "For a contacts export whose user-id column does not say its platform "
            "(a column called “UserID”)."
        ),
    )


class ConfirmForm(forms.Form):
    send_links = forms.BooleanField(
        label=_("E-mail the new people a link to set their password"),
        required=False,
        initial=True,
    )
    # The digest of the preview shown: the confirm is refused if the organization changed.
    digest = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
