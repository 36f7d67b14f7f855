from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from departments.models import DepartmentFunction, DepartmentKind
from departments.selectors import department_list
from metrics.selectors import kpi_list, period_list
from perfhub import numbers


class DashboardFilterForm(forms.Form):
    """Filters of the company dashboard, kept in the URL so a view can be shared."""

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *DepartmentKind.choices]
    )
    function = forms.ChoiceField(
        label=_("Function"),
        required=False,
        choices=[("", _("All functions")), *DepartmentFunction.choices],
    )
    parent: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Under department"), required=False, queryset=None, empty_label=_("Whole company")
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        departments = department_list(org=org)
        en = (get_language() or "").startswith("en")
        self.fields["parent"].queryset = departments
        # Plain choices for the page (no model instance per option); still validated
        # against the queryset.
        self.fields["parent"].choices = [
            ("", self.fields["parent"].empty_label),
            *(
                (pk, name_en if name_en and en else name)
                for pk, name, name_en in departments.values_list("pk", "name", "name_en")
            ),
        ]


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    period: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Period"), queryset=None)

    def __init__(self, *args, org, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = period_list(org=org)


class GoalLinkForm(forms.Form):
    kpi: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("KPI"), queryset=None, required=False
    )
    weight = numbers.DecimalField(
        label=_("Contribution weight"),
        min_value=0,
        max_digits=7,
        decimal_places=3,
        initial=1,
        required=False,
    )

    def __init__(self, *args, org, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = kpi_list(org=org).filter(is_active=True)
        self.fields["kpi"].label_from_instance = lambda k: (
            f"{k.department.display_name} · {k.indicator.display_name}"
        )


GoalLinkFormSet = forms.formset_factory(GoalLinkForm, extra=6, max_num=40)


class CommentForm(forms.Form):
    """An executive's or HR's comment on the scorecard as a whole or on one of its lines
    (the choices: the card's KPIs, loaded by the view; no query of its own)."""

    kpi = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, card=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpis = {line.kpi_id: line.kpi for line in getattr(card, "lines", [])}
        self.fields["kpi"].choices = [("", _("The scorecard as a whole"))] + [
            (str(pk), kpi.indicator.display_name) for pk, kpi in self.kpis.items()
        ]

    def clean_kpi(self):
        value = self.cleaned_data["kpi"]
        return self.kpis[int(value)] if value else None
