from django import forms
from django.utils.translation import gettext_lazy as _


class ReviewForm(forms.Form):
    self_assessment = forms.CharField(
        label=_("Self-assessment"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("How did the department do this period, and why?"),
    )
    improvement_plan = forms.CharField(
        label=_("Improvement plan"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What will be done, by whom and by when."),
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you return the review: say what must change."),
    )
