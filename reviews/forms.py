from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CriterionUse


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


class StepForm(forms.Form):
    """A step of the review workflow on the settings page: who holds it, its name, where."""

    position = forms.IntegerField(
        label=_("Position"),
        required=False,
        min_value=1,
        max_value=50,
        help_text=_("2 or more: step 1 is always the manager's self-assessment."),
    )
    role = forms.ChoiceField(
        label=_("Who acts"),
        choices=[("hr", _("HR")), ("executive", _("an executive"))],
        required=False,
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=100,
        help_text=_("Empty: the usual name, in each member's language."),
    )


class CriterionForm(forms.Form):
    """A feedback criterion on its settings page: names, where it is asked, order, on/off."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("In the organization's language."),
    )
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    applies_to = forms.ChoiceField(label=_("Asked on"), choices=CriterionUse.choices)
    position = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=32767,
        help_text=_("Empty: after the others."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
