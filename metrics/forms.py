"""Forms of the HR configuration pages. They only parse what people type; every rule lives in
the services (one rule set for pages, API and import), whose errors the forms then show
beside the field or cell that caused them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from departments.models import Department, Role
from departments.selectors import department_list
from perfhub import numbers
from perfhub.errors import add_service_errors

from .models import Indicator, PeriodKind, Template
from .scoring import PeriodTarget
from .services.indicators import INDICATOR_FIELDS

# Typed as text, not <input type=number>: a browser drops a number it cannot parse, and the
# page must give back exactly what was typed beside its error.
DECIMAL_INPUT = forms.TextInput(attrs={"inputmode": "decimal"})
VALUE: dict[str, Any] = {"max_digits": 20, "decimal_places": 6, "widget": DECIMAL_INPUT}
WEIGHT: dict[str, Any] = {
    "max_digits": 7,
    "decimal_places": 3,
    "min_value": 0,
    "widget": DECIMAL_INPUT,
}


def plain(value: Decimal | None) -> str | None:
    """A stored Decimal as a person would type it: 5000000 rather than 5000000.000000."""
    if value is None:
        return None
    return format(value.normalize(), "f")


def indicator_choices(indicators) -> list[tuple]:
    return [("", "---------")] + [
        (i.pk, f"{i.code} · {i.display_name}" + ("" if i.is_active else f" ({_('retired')})"))
        for i in indicators
    ]


class IndicatorChoiceMixin:
    """An `indicator` choice among a list loaded once by the view (no query per form)."""

    fields: dict[str, Any]  # of the form it is mixed into
    cleaned_data: dict[str, Any]

    def _set_indicators(self, indicators) -> None:
        self.indicators = {i.pk: i for i in indicators}
        self.fields["indicator"].choices = indicator_choices(indicators)

    def clean_indicator(self) -> Indicator:
        return self.indicators[self.cleaned_data["indicator"]]


class IndicatorForm(forms.ModelForm):
    """Create or edit a library indicator. After creation the code is shown, not edited
    (formulas and imports refer to it); a computed indicator's aggregation is fixed."""

    class Meta:
        model = Indicator
        fields = ["code", *(f for f in INDICATOR_FIELDS if f != "is_active")]
        widgets = {
            "description": forms.TextInput,
            "description_en": forms.TextInput,
            "default_target": DECIMAL_INPUT,
            "default_threshold": DECIMAL_INPUT,
            "default_target_max": DECIMAL_INPUT,
            "value_min": DECIMAL_INPUT,
            "value_max": DECIMAL_INPUT,
        }
        field_classes = dict.fromkeys(
            ("default_target", "default_threshold", "default_target_max", "value_min", "value_max"),
            numbers.DecimalField,
        )
        help_texts = {
            "formula": _(
                "Only for the aggregation “Formula”: + − × ÷ and parentheses over other "
                "indicators' codes, e.g. leavers / headcount * 100."
            ),
            "default_threshold": _("The value that scores 0."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["code"]
            if self.instance.is_computed:
                del self.fields["aggregation"]
                del self.fields["formula"]
        for name in (
            "default_target",
            "default_threshold",
            "default_target_max",
            "value_min",
            "value_max",
        ):
            self.initial[name] = plain(getattr(self.instance, name))

    def _post_clean(self):
        # Validation happens in the service (one set of rules for forms and API).
        pass


class TemplateForm(forms.ModelForm):
    class Meta:
        model = Template
        fields = ["name", "name_en", "code", "kind", "function", "description"]
        widgets = {"description": forms.TextInput}

    def _post_clean(self):
        pass


class TemplateItemForm(IndicatorChoiceMixin, forms.Form):
    indicator = forms.TypedChoiceField(label=_("Indicator"), coerce=int)
    weight = numbers.DecimalField(label=_("Weight"), **WEIGHT)
    target = numbers.DecimalField(label=_("Target"), required=False, **VALUE)
    threshold = numbers.DecimalField(label=_("Threshold"), required=False, **VALUE)
    target_max = numbers.DecimalField(label=_("Upper target"), required=False, **VALUE)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_indicators(indicators)


class BaseTemplateItemFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[TemplateItemForm]:
        """The filled rows that are not marked for removal, in the order sent to the service."""
        return [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def items(self) -> list[dict]:
        return [
            {k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in self.kept_forms()
        ]

    def add_service_errors(self, form, exc: ValidationError) -> None:
        """template_save's "items.<n>.<field>" errors beside their cell; the rest on `form`."""
        if not hasattr(exc, "error_dict"):
            add_service_errors(form, exc)
            return
        kept = self.kept_forms()
        rest = {}
        for key, errors in exc.error_dict.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
                row = kept[int(parts[1])]
                row.add_error(parts[2] if parts[2] in row.fields else None, errors)
            else:
                rest[key] = errors
        if rest:
            add_service_errors(form, ValidationError(rest))


TemplateItemFormSet = forms.formset_factory(
    TemplateItemForm, formset=BaseTemplateItemFormSet, extra=3, can_delete=True
)


def template_item_initial(template: Template | None) -> list[dict]:
    if template is None:
        return []
    return [
        {
            "indicator": item.indicator_id,
            "weight": plain(item.weight),
            "target": plain(item.target),
            "threshold": plain(item.threshold),
            "target_max": plain(item.target_max),
        }
        for item in template.items.all()
    ]


class TemplateApplyForm(forms.Form):
    departments: forms.ModelMultipleChoiceField[Department] = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose at least one department.")},
    )

    def __init__(self, *args, org, template: Template, **kwargs):
        super().__init__(*args, **kwargs)
        departments = department_list(org=org, active_only=True)
        self.fields["departments"].queryset = departments  # type: ignore[attr-defined]
        # Nothing is ticked for HR: a department ticked silently got the template again
        # (issue 16). The page marks the departments the template is meant for instead.
        self.meant_for = template.function


def confirmer_choices(departments) -> list[tuple[str, str]]:
    """Who may confirm a KPI's values, as one choice: nobody, a role, or the managers of a
    department ("role:hr", "dept:12")."""
    return [
        ("", str(_("Nobody: counts as entered"))),
        (f"role:{Role.HR}", str(_("HR"))),
        (f"role:{Role.EXECUTIVE}", str(_("Executives"))),
        (f"role:{Role.ADMIN}", str(_("Administrators"))),
        *(
            (f"dept:{d.pk}", str(_("Managers of %(name)s") % {"name": d.display_name}))
            for d in departments
        ),
    ]


def confirmer_value(kpi) -> str:
    if kpi.confirm_role:
        return f"role:{kpi.confirm_role}"
    if kpi.confirm_department_id:
        return f"dept:{kpi.confirm_department_id}"
    return ""


class KpiRowForm(forms.Form):
    """One row of a department's KPI grid (prefixed with the KPI's id)."""

    weight = numbers.DecimalField(label=_("Weight"), **WEIGHT)
    target = numbers.DecimalField(label=_("Target"), required=False, **VALUE)
    threshold = numbers.DecimalField(label=_("Threshold"), required=False, **VALUE)
    target_max = numbers.DecimalField(label=_("Upper target"), required=False, **VALUE)
    cap = numbers.DecimalField(label=_("Cap"), max_digits=7, decimal_places=2, widget=DECIMAL_INPUT)
    target_period = forms.ChoiceField(label=_("Target period"), choices=PeriodKind.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    confirmer = forms.ChoiceField(
        label=_("Counts once confirmed by"), required=False, choices=[("", "")]
    )

    def __init__(self, data=None, *, kpi, departments=(), **kwargs):
        initial = {
            "confirmer": confirmer_value(kpi),
            "weight": plain(kpi.weight),
            "target": plain(kpi.target),
            "threshold": plain(kpi.threshold),
            "target_max": plain(kpi.target_max),
            "cap": plain(kpi.cap),
            "target_period": kpi.target_period,
            "is_active": kpi.is_active,
        }
        super().__init__(data, prefix=f"kpi-{kpi.pk}", initial=initial, **kwargs)
        self.kpi = kpi
        self.departments = {d.pk: d for d in departments}
        self.fields["confirmer"].choices = confirmer_choices(departments)

    def clean(self):
        data = super().clean()
        kind, _colon, key = (data.pop("confirmer", "") or "").partition(":")
        data["confirm_role"] = key if kind == "role" else ""
        data["confirm_department"] = self.departments.get(int(key)) if kind == "dept" else None
        return data


class KpiGridForm:
    """Every KPI of a department as one form: a KpiRowForm per KPI, validated and saved
    together (kpis_update_grid), each error shown beside its cell."""

    def __init__(self, kpis, data=None, departments=()):
        self.rows = [KpiRowForm(data, kpi=kpi, departments=departments) for kpi in kpis]
        self.errors: list[str] = []

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def is_valid(self) -> bool:
        # Every row is validated (no short-circuit), so every error shows at once.
        results = [row.is_valid() for row in self.rows]
        return all(results)

    def cleaned_rows(self) -> dict[int, dict]:
        return {row.kpi.pk: row.cleaned_data for row in self.rows}

    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)

    def add_service_errors(self, exc: ValidationError) -> None:
        """kpis_update_grid's "<kpi id>.<field>" errors beside their cell."""
        if not hasattr(exc, "error_dict"):
            self.errors.extend(exc.messages)
            return
        by_id = {str(row.kpi.pk): row for row in self.rows}
        for key, errors in exc.error_dict.items():
            kpi_id, _dot, field = key.partition(".")
            row = by_id.get(kpi_id)
            if row is None:
                self.errors.extend(m for e in errors for m in e.messages)
            else:
                row.add_error(field if field in row.fields else None, errors)


class KpiAddForm(IndicatorChoiceMixin, forms.Form):
    indicator = forms.TypedChoiceField(label=_("Indicator"), coerce=int)
    weight = numbers.DecimalField(label=_("Weight"), initial=0, **WEIGHT)
    target = numbers.DecimalField(
        label=_("Target"),
        required=False,
        help_text=_("Leave empty to take the indicator's default target and threshold."),
        **VALUE,
    )
    threshold = numbers.DecimalField(label=_("Threshold"), required=False, **VALUE)
    target_max = numbers.DecimalField(label=_("Upper target"), required=False, **VALUE)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_indicators(indicators)

    def clean(self):
        data = super().clean()
        indicator = data.get("indicator")
        # As when a template is applied: no target typed means the indicator's defaults.
        if indicator is not None and data.get("target") is None:
            data["target"] = indicator.default_target
            data["threshold"] = indicator.default_threshold
            data["target_max"] = indicator.default_target_max
        return data


class PeriodGenerateForm(forms.Form):
    fiscal_year = numbers.IntegerField(label=_("Fiscal year"), min_value=2000, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].initial = timezone.localdate().year


class PeriodReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        error_messages={"required": _("Say why the period is reopened.")},
    )


class PeriodTargetsForm(forms.Form):
    """A KPI's own targets for the cells of the "Targets by period" editor
    (metrics.period_targets.targets_year): a target, a threshold and, within a range, an
    upper end per period; an empty target means the period has none of its own."""

    NAMES = ("target", "threshold", "target_max")

    def __init__(self, data=None, *, cells, with_range: bool, **kwargs):
        super().__init__(data, **kwargs)
        self.cells = cells
        self.with_range = with_range
        labels = {
            "target": _("Target"),
            "threshold": _("Threshold"),
            "target_max": _("Upper target"),
        }
        for cell in cells:
            own = cell.own
            for name in self.NAMES:
                if name == "target_max" and not with_range:
                    continue
                key = self.key(name, cell.period.pk)
                # A locked period keeps its target: its cells are shown, never read back.
                self.fields[key] = numbers.DecimalField(
                    label=labels[name], required=False, disabled=cell.period.is_locked, **VALUE
                )
                self.initial[key] = plain(getattr(own, name)) if own is not None else None

    @staticmethod
    def key(name: str, period_id: int) -> str:
        return f"{name}_{period_id}"

    def rows(self):
        """[(cell, {name: bound field})] in the order of the cells, for the template."""
        return [
            (
                cell,
                [
                    self[self.key(name, cell.period.pk)]
                    for name in self.NAMES
                    if name != "target_max" or self.with_range
                ],
            )
            for cell in self.cells
        ]

    def clean(self):
        data = super().clean()
        for cell in self.cells:
            pk = cell.period.pk
            target = data.get(self.key("target", pk))
            others = [data.get(self.key(n, pk)) for n in self.NAMES[1:]]
            if target is None and any(v is not None for v in others):
                self.add_error(
                    self.key("target", pk),
                    _("%(period)s: enter a target, or clear its threshold and upper target.")
                    % {"period": cell.period.label},
                )
        return data

    def targets(self) -> dict:
        """{period id: scoring.PeriodTarget or None} of the valid form."""
        out: dict = {}
        for cell in self.cells:
            pk = cell.period.pk
            target = self.cleaned_data.get(self.key("target", pk))
            out[pk] = (
                None
                if target is None
                else PeriodTarget(
                    target=target,
                    threshold=self.cleaned_data.get(self.key("threshold", pk)),
                    target_max=self.cleaned_data.get(self.key("target_max", pk)),
                )
            )
        return out

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service's {"<period id>.<field>": messages} beside their cells; the others
        (a quarter's or the year's, the KPI's) above the form."""
        for key, messages in exc.message_dict.items():
            pk, _dot, name = key.partition(".")
            field = self.key(name, int(pk)) if pk.isdigit() else None
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class DepartmentTargetsForm(forms.Form):
    """The own target of each cell of a department's "Targets by period" grid
    (metrics.period_targets.department_targets_years): one field per KPI and month (or
    quarter). Thresholds and upper ends are the per-KPI page's: a changed target keeps the
    period's own threshold and upper end, an emptied one removes the period's own settings.
    The cells of locked periods are shown and never read back."""

    def __init__(self, data=None, *, years, **kwargs):
        super().__init__(data, **kwargs)
        self.years = years
        for view in years:
            for cell in view.cells:
                key = self.key(view.kpi.pk, cell.period.pk)
                self.fields[key] = numbers.DecimalField(
                    label=_("Target"), required=False, disabled=cell.period.is_locked, **VALUE
                )
                self.initial[key] = plain(cell.own.target) if cell.own is not None else None

    @staticmethod
    def key(kpi_id: int, period_id: int) -> str:
        return f"target_{kpi_id}_{period_id}"

    def rows(self):
        """[(view, [(cell, bound field)])] per KPI, for the template."""
        return [
            (view, [(cell, self[self.key(view.kpi.pk, cell.period.pk)]) for cell in view.cells])
            for view in self.years
        ]

    def targets(self) -> dict:
        """{KPI id: {period id: scoring.PeriodTarget or None}} of the cells whose target
        changed, for the KPIs with a change (the service is not asked about the others).
        Compared as numbers: "1,000,000" typed over 1000000 is no change."""
        out: dict = {}
        for view in self.years:
            for cell in view.cells:
                own = cell.own
                target = self.cleaned_data.get(self.key(view.kpi.pk, cell.period.pk))
                if cell.period.is_locked or target == (own.target if own is not None else None):
                    continue
                out.setdefault(view.kpi.pk, {})[cell.period.pk] = (
                    None
                    if target is None
                    else PeriodTarget(
                        target=target,
                        threshold=own.threshold if own is not None else None,
                        target_max=own.target_max if own is not None else None,
                    )
                )
        return out

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service's {"<kpi id>.<period id>.<field>": messages} beside their cells (a
        threshold's or upper end's beside the target, the only cell shown); the others (a
        quarter's or the year's, the KPI's) above the grid."""
        for key, messages in exc.message_dict.items():
            kpi_id, _dot, rest = key.partition(".")
            period_id = rest.partition(".")[0]
            field = None
            if kpi_id.isdigit() and period_id.isdigit():
                field = self.key(int(kpi_id), int(period_id))
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
