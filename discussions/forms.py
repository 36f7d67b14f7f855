from django import forms
from django.utils.translation import gettext_lazy as _

from .models import POST_MAX


class PostForm(forms.Form):
    """A post, a reply (`parent`) or an edit: the text; the service checks the rest."""

    text = forms.CharField(
        label=_("Your post"),
        max_length=POST_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Type @ and a name to mention a member: they are told by e-mail."),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
