"""Forms of the grades pages: they parse what people type; the rules (SPEC §9) live in
grades.services, whose errors are shown beside the field that caused them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from perfhub import numbers

from .models import Grouping, PublishRule, ShareKind

DECIMAL_INPUT = forms.TextInput(attrs={"inputmode": "decimal"})
OPTIONAL: dict[str, Any] = {"required": False, "widget": DECIMAL_INPUT}
MAX_GRADES = 8  # rows the scale form offers (blank ones are left out)


class BandForm(forms.Form):
    label = forms.CharField(label=_("Grade"), max_length=10, required=False)
    lowest = numbers.DecimalField(
        label=_("Lowest score"),
        max_digits=9,
        decimal_places=4,
        required=False,
        widget=DECIMAL_INPUT,
    )
    coefficient = numbers.DecimalField(
        label=_("Coefficient"), max_digits=6, decimal_places=3, **OPTIONAL
    )
    share_kind = forms.ChoiceField(label=_("Guideline"), choices=ShareKind.choices, required=False)
    share_percent = numbers.DecimalField(
        label=_("Share (%)"), max_digits=5, decimal_places=2, **OPTIONAL
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("label") or "").strip() and data.get("coefficient") is None


BandFormSet = forms.formset_factory(BandForm, extra=0, max_num=MAX_GRADES, absolute_max=MAX_GRADES)


class PolicyForm(forms.Form):
    grade_months = forms.BooleanField(label=_("Months"), required=False)
    grade_quarters = forms.BooleanField(label=_("Quarters"), required=False)
    grade_years = forms.BooleanField(label=_("Years"), required=False)
    grouping = forms.ChoiceField(
        label=_("The guideline applies to"), choices=Grouping.choices, widget=forms.RadioSelect
    )
    publish_rule = forms.ChoiceField(
        label=_("When the distribution does not meet the guideline"),
        choices=PublishRule.choices,
        widget=forms.RadioSelect,
    )


class MoveForm(forms.Form):
    department = forms.IntegerField(widget=forms.HiddenInput)
    grade = forms.CharField(label=_("New grade"), max_length=10)
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.TextInput
    )


class PublishForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Reason for publishing outside the guideline"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for reopening"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AppealForm(forms.Form):
    department = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the grade should change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResolveForm(forms.Form):
    appeal = forms.IntegerField(widget=forms.HiddenInput)
    grade = forms.CharField(label=_("Decision"), max_length=10)
    reason = forms.CharField(
        label=_("Reason for the decision"), max_length=2000, widget=forms.TextInput
    )
