import re
from typing import cast

from django import forms
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from departments.models import DepartmentFunction, DepartmentKind
from departments.selectors import department_list
from metrics.selectors import kpi_list, period_list
from perfhub import numbers

from .models import ActionStatus


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


# --- Actions on red KPIs and goals behind plan (issue 19) --------------------------------


class DateInput(forms.DateInput):
    """The browser's own date picker; the value is sent as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def subject_value(*, kpi=None, period=None, goal=None) -> str:
    """How an action's subject is named in a form: `kpi:<kpi id>:<period id>` for a KPI
    line, `goal:<goal id>` for a goal."""
    return f"goal:{goal.pk}" if goal is not None else f"kpi:{kpi.pk}:{period.pk}"


def line_subject(line, period) -> tuple[str, str]:
    """(form value, label) of a KPI line as an action's subject."""
    label = f"{line.kpi.indicator.display_name} · {period.label}"
    return subject_value(kpi=line.kpi, period=period), label


def goal_subject(goal) -> tuple[str, str]:
    """(form value, label) of a goal as an action's subject."""
    return subject_value(goal=goal), f"{goal.title} · {goal.period.label}"


SUBJECT = re.compile(r"^(?:kpi:(\d{1,18}):(\d{1,18})|goal:(\d{1,18}))$")


def subject_parse(value: str) -> dict | None:
    """{"kpi": id, "period": id} or {"goal": id} of a subject value; None when malformed."""
    found = SUBJECT.match(value or "")
    if found is None:
        return None
    kpi, period, goal = found.groups()
    return {"goal": int(goal)} if goal else {"kpi": int(kpi), "period": int(period)}


class ActionForm(forms.Form):
    """A new action: its subject (the choices - red or amber lines, goals behind plan - are
    given by the page), what will be done, who owns it and by when."""

    subject = forms.ChoiceField(label=_("About"))
    title = forms.CharField(label=pgettext_lazy("action plan", "Action"), max_length=200)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, subjects, members, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = subjects
        self.fields["owner"].choices = [("", _("Choose a member")), *members]
        if owner is not None and not self.is_bound:
            self.initial.setdefault("owner", owner)


class ActionUpdateForm(forms.Form):
    """An action moved along (status); for those who may plan it, also reassigned,
    re-dated or retitled (the owner sees the status only)."""

    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    title = forms.CharField(label=pgettext_lazy("action plan", "Action"), max_length=200)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, action, members, planner: bool, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "status": action.status,
                "title": action.title,
                "owner": action.owner_id,
                # As the date input takes it (_form.html renders the value, not the widget).
                "due_date": action.due_date.isoformat(),
            },
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = members
        if not planner:
            for name in ("title", "owner", "due_date"):
                del self.fields[name]


ACTION_STATUS_FILTERS = [
    ("", _("Any status")),
    ("active", _("Open or in progress")),
    *ActionStatus.choices,
    ("closed", _("Done or dropped")),
]


class ActionFilterForm(forms.Form):
    """Filters of the actions list, kept in the URL."""

    mine = forms.BooleanField(label=_("My actions only"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ACTION_STATUS_FILTERS)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(
        label=_("Department"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, members, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", _("Anyone")), *members]
        self.fields["department"].choices = [("", _("All departments")), *departments]
