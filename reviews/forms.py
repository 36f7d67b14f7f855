from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import DepartmentFunction, DepartmentKind
from departments.selectors import department_list


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
    parent = forms.ModelChoiceField(
        label=_("Under department"), required=False, queryset=None, empty_label=_("Whole company")
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = department_list(org=org)
