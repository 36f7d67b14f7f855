"""Forms of the channel pages. Secrets are write-only: the fields start blank, a blank
field keeps what is stored."""

from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import Department

from .models import ChannelKind


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("Platform"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    webhook_url = forms.CharField(
        label=_("Robot's address"),
        max_length=500,
        required=False,
        help_text=_(
            "Copied from the robot's settings in the group. Stored encrypted and never shown "
            "again: leave blank to keep the current one."
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret or key"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "DingTalk: the SEC… secret of the robot's signing; Feishu: the signature "
            "verification secret; WeCom: the key (taken from the address if it holds one). "
            "Leave blank to keep the current one."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    email = forms.EmailField(label=_("E-mail address (e-mail channels)"), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("The whole organization"),
        help_text=_("A department's own group gets only the messages about that department."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.for_org(org).order_by("code")
