"""HR configuration pages (SPEC §5): the indicator library, templates and applying them,
a department's KPI grid, and periods (generate a fiscal year, lock, reopen).

Admin and HR only (`can_configure`); other members get 403, non-members 404."""

import copy
from operator import attrgetter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from departments.access import org_view
from departments.models import DepartmentKind
from departments.permissions import can_configure
from departments.selectors import department_get, department_list
from perfhub.errors import add_service_errors

from .. import period_targets, selectors
from ..forms import (
    DepartmentTargetsForm,
    IndicatorForm,
    KpiAddForm,
    KpiGridForm,
    PeriodGenerateForm,
    PeriodReopenForm,
    PeriodTargetsForm,
    TemplateApplyForm,
    TemplateForm,
    TemplateItemFormSet,
    template_item_initial,
)
from ..services import indicators as indicator_services
from ..services import kpis as kpi_services
from ..services import period_targets as period_target_services
from ..services import periods as period_services
from ..services import templates as template_services


def _flash_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- indicator library ----------------------------------------------------------------


@org_view(can_configure)
def indicator_list(request):
    kind = request.GET.get("kind", "")
    indicators = selectors.indicator_list(org=request.org)
    if kind in DepartmentKind.values:
        # An indicator meant for no kind in particular serves both.
        indicators = indicators.filter(kind__in=[kind, ""])
    else:
        kind = ""
    context = {
        "indicators": indicators,
        "kind": kind,
        "kinds": DepartmentKind.choices,
        "formula_names": selectors.indicator_names(org=request.org),
    }
    return render(request, "metrics/config/indicator_list.html", context)


def _indicator_form_view(request, indicator=None):
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            if indicator is None:
                indicator_services.indicator_create(
                    org=request.org, by=request.user, **form.cleaned_data
                )
            else:
                indicator_services.indicator_update(
                    indicator=indicator, by=request.user, **form.cleaned_data
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Indicator saved."))
            return redirect("indicator_list", slug=request.org.slug)
    context = {"form": form, "indicator": indicator}
    return render(request, "metrics/config/indicator_form.html", context)


@org_view(can_configure)
def indicator_create(request):
    return _indicator_form_view(request)


@org_view(can_configure)
def indicator_edit(request, pk):
    return _indicator_form_view(request, selectors.indicator_get(org=request.org, pk=pk))


@require_POST
@org_view(can_configure)
def indicator_set_active(request, pk):
    """Retire an indicator (kept for history, offered no more) or reactivate it."""
    indicator = selectors.indicator_get(org=request.org, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        indicator_services.indicator_update(indicator=indicator, by=request.user, is_active=active)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(
            request, _("Indicator reactivated.") if active else _("Indicator retired.")
        )
    return redirect("indicator_list", slug=request.org.slug)


# --- templates ------------------------------------------------------------------------


@org_view(can_configure)
def template_list(request):
    templates = selectors.template_list(org=request.org)
    return render(request, "metrics/config/template_list.html", {"templates": templates})


def _template_form_view(request, template=None):
    data = request.POST or None
    form = TemplateForm(data, instance=template)
    items = TemplateItemFormSet(
        data,
        prefix="items",
        initial=template_item_initial(template),
        form_kwargs={"indicators": list(selectors.indicator_list(org=request.org))},
    )
    if request.method == "POST" and all([form.is_valid(), items.is_valid()]):
        try:
            template_services.template_save(
                org=request.org,
                by=request.user,
                template=template,
                items=items.items(),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            items.add_service_errors(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("template_list", slug=request.org.slug)
    context = {"form": form, "items": items, "template": template}
    return render(request, "metrics/config/template_form.html", context)


@org_view(can_configure)
def template_create(request):
    return _template_form_view(request)


@org_view(can_configure)
def template_edit(request, pk):
    return _template_form_view(request, selectors.template_get(org=request.org, pk=pk))


def _applied_message(plan) -> str:
    """What applying did in one department, named."""
    name = plan.department.display_name
    if not plan.changes:
        return _(
            "%(department)s: no KPI created, it already has every indicator of this "
            "template. Existing KPIs are never overwritten."
        ) % {"department": name}
    return ngettext(
        "%(department)s: %(count)d KPI created or completed, total weight %(weight)s.",
        "%(department)s: %(count)d KPIs created or completed, total weight %(weight)s.",
        plan.changes,
    ) % {"department": name, "count": plan.changes, "weight": f"{plan.weight_after:g}"}


@org_view(can_configure)
def template_apply(request, pk):
    """Apply the template in two steps: the chosen departments (nothing ticked for HR)
    → a preview of what each department gets → on confirmation, the KPIs created and
    one message per department saying what was done."""
    template = selectors.template_get(org=request.org, pk=pk)
    form = TemplateApplyForm(request.POST or None, org=request.org, template=template)
    plans = None
    if request.method == "POST" and form.is_valid():
        departments = list(form.cleaned_data["departments"])
        try:
            if request.POST.get("confirm") != "1":
                plans = template_services.template_plan(template=template, departments=departments)
            else:
                done = template_services.template_apply(
                    template=template, departments=departments, by=request.user
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if plans is None:
                for plan in done:
                    (messages.warning if plan.weight_warning else messages.success)(
                        request, _applied_message(plan)
                    )
                return redirect("template_apply", slug=request.org.slug, pk=template.pk)
    context = {"form": form, "template": template, "plans": plans}
    return render(request, "metrics/config/template_apply.html", context)


# --- the KPI grid of a department -----------------------------------------------------


def _kpi_grid_page(request, department, kpis, *, grid=None, add_form=None, departments=None):
    """The grid page; a fixed number of queries whatever the number of KPIs."""
    if add_form is None:
        add_form = KpiAddForm(indicators=_unassigned_indicators(request.org, kpis))
    if departments is None:
        departments = list(department_list(org=request.org))
    total = kpi_services.weight_total(kpis)
    context = {
        "department": department,
        "departments": departments,
        "grid": grid if grid is not None else KpiGridForm(kpis, departments=departments),
        "add_form": add_form,
        "weight_total": total,
        "weight_warning": any(k.is_active for k in kpis) and total != 100,
        "period_target_kpis": {
            k.pk for k in kpis if k.target is not None and period_targets.editor_grain(k)
        },
    }
    return render(request, "metrics/config/kpi_grid.html", context)


def _unassigned_indicators(org, kpis):
    assigned = [k.indicator_id for k in kpis]
    return list(selectors.indicator_list(org=org, active_only=True).exclude(pk__in=assigned))


@org_view(can_configure)
def kpi_grid(request, pk):
    """Every KPI of the department in one form, saved in one go (all rows or none)."""
    department = department_get(org=request.org, pk=pk)
    kpis = list(selectors.kpi_list(org=request.org, department=department))
    departments = list(department_list(org=request.org))
    grid = KpiGridForm(kpis, request.POST or None, departments=departments)
    if request.method == "POST" and grid.is_valid():
        try:
            # The service sets the typed values on the rows it is given; copies keep the
            # page's KPIs (and its weight warning) as saved when the grid is refused.
            kpi_services.kpis_update_grid(
                org=request.org,
                by=request.user,
                rows=grid.cleaned_rows(),
                kpis=[copy.copy(k) for k in kpis],
            )
        except ValidationError as exc:
            grid.add_service_errors(exc)
        else:
            messages.success(request, _("KPIs saved."))
            return redirect("kpi_grid", slug=request.org.slug, pk=department.pk)
    return _kpi_grid_page(request, department, kpis, grid=grid, departments=departments)


@require_POST
@org_view(can_configure)
def kpi_add(request, pk):
    department = department_get(org=request.org, pk=pk)
    kpis = list(selectors.kpi_list(org=request.org, department=department))
    form = KpiAddForm(request.POST, indicators=_unassigned_indicators(request.org, kpis))
    if form.is_valid():
        try:
            kpi_services.kpi_create(
                org=request.org, by=request.user, department=department, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("KPI added."))
            return redirect("kpi_grid", slug=request.org.slug, pk=department.pk)
    return _kpi_grid_page(request, department, kpis, add_form=form)


# --- targets per period ---------------------------------------------------------------


@org_view(can_configure)
def kpi_targets(request, pk):
    """A KPI's "Targets by period" for one fiscal year (docs/scoring.md): a cell per month
    or quarter, saved in one go (all cells or none)."""
    kpi = selectors.kpi_get(org=request.org, pk=pk)
    years = period_targets.fiscal_years(org=request.org)
    year = _fiscal_year(request, years)
    view = period_targets.targets_year(org=request.org, kpi=kpi, fiscal_year=year or 0)
    with_range = kpi.indicator.direction == "within_range"
    form = PeriodTargetsForm(request.POST or None, cells=view.cells, with_range=with_range)
    if request.method == "POST" and form.is_valid():
        try:
            period_target_services.kpi_period_targets_set(
                org=request.org,
                kpi=kpi,
                by=request.user,
                fiscal_year=view.fiscal_year,
                targets=form.targets(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Targets by period saved."))
            return redirect(f"{request.path}?year={view.fiscal_year}")
    context = {"kpi": kpi, "view": view, "years": years, "form": form}
    return render(request, "metrics/config/kpi_targets.html", context)


@org_view(can_configure)
def department_targets(request, pk):
    """ "Targets by period" of every KPI of a department for one fiscal year: a row per KPI
    that may have targets of its own, a cell per month (or quarter), saved in one go (all
    KPIs' cells or none). A fixed number of queries to show it, whatever the number of KPIs."""
    department = department_get(org=request.org, pk=pk)
    kpis = list(selectors.kpi_list(org=request.org, department=department))
    years = period_targets.fiscal_years(org=request.org)
    year = _fiscal_year(request, years) or 0
    views = period_targets.department_targets_years(org=request.org, kpis=kpis, fiscal_year=year)
    form = DepartmentTargetsForm(request.POST or None, years=views)
    if request.method == "POST" and form.is_valid():
        try:
            period_target_services.department_period_targets_set(
                org=request.org,
                kpis=kpis,
                by=request.user,
                fiscal_year=year,
                targets=form.targets(),
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Targets by period saved."))
            return redirect(f"{request.path}?year={year}")
    rows = form.rows()
    context = {
        "department": department,
        "years": years,
        "year": year,
        "form": form,
        "tables": [
            (grain, [r for r in rows if r[0].grain == grain])
            for grain in period_targets.OWN_TARGET_KINDS
            if any(r[0].grain == grain for r in rows)
        ],
    }
    return render(request, "metrics/config/department_targets.html", context)


def _fiscal_year(request, years: list[int]) -> int | None:
    """The fiscal year asked for (?year=, one the organization has), else the default."""
    wanted = request.POST.get("year") or request.GET.get("year") or ""
    if wanted.isascii() and wanted.isdigit() and int(wanted) in years:  # not "²"
        return int(wanted)
    return period_targets.default_fiscal_year(org=request.org, years=years)


# --- periods --------------------------------------------------------------------------


def _lock_consequence(period, departments: int) -> str:
    if not departments:
        return _(
            "Locking %(period)s freezes its scores. No KPI is entered per %(kind)s, so no "
            "entry stops. Reopening it later needs a reason, recorded in the history."
        ) % {"period": period.label, "kind": period.get_kind_display().lower()}
    return ngettext(
        "Locking %(period)s stops all entry for %(count)d department. Reopening it later "
        "needs a reason, recorded in the history.",
        "Locking %(period)s stops all entry for %(count)d departments. Reopening it later "
        "needs a reason, recorded in the history.",
        departments,
    ) % {"period": period.label, "count": departments}


def _periods_page(request, *, generate_form=None, reopen_form=None, reopen_pk=None):
    # Newest fiscal year first; in a year: the year, Q1, its months, Q2, ...
    periods = list(
        selectors.period_list(org=request.org)
        .order_by("-fiscal_year", "start", "-end")
        .prefetch_related("events__by")  # every lock/reopen event in one query
    )
    events = sorted((e for p in periods for e in p.events.all()), key=attrgetter("at"))
    entering = selectors.entry_department_counts(org=request.org)
    for p in periods:  # what the confirmation before locking says
        p.lock_consequence = _lock_consequence(p, entering.get(p.kind, 0))
    context = {
        "periods": periods,
        "events": events[::-1],
        "generate_form": generate_form or PeriodGenerateForm(),
        "reopen_form": reopen_form,
        "reopen_pk": reopen_pk,
    }
    return render(request, "metrics/config/period_list.html", context)


@org_view(can_configure)
def period_list(request):
    return _periods_page(request)


@require_POST
@org_view(can_configure)
def period_generate(request):
    form = PeriodGenerateForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["fiscal_year"]
        try:
            periods = period_services.periods_generate(
                org=request.org, fiscal_year=year, by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Fiscal year %(year)s has its %(count)d period (existing ones were kept).",
                    "Fiscal year %(year)s has its %(count)d periods (existing ones were kept).",
                    len(periods),
                )
                % {"year": year, "count": len(periods)},
            )
            return redirect("period_list", slug=request.org.slug)
    return _periods_page(request, generate_form=form)


@require_POST
@org_view(can_configure)
def period_lock(request, pk):
    period = selectors.period_get(org=request.org, pk=pk)
    try:
        period_services.period_lock(period=period, by=request.user)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("%(period)s locked.") % {"period": period.label})
    return redirect("period_list", slug=request.org.slug)


@require_POST
@org_view(can_configure)
def period_reopen(request, pk):
    period = selectors.period_get(org=request.org, pk=pk)
    form = PeriodReopenForm(request.POST)
    form.error_anchors = {"reason": f"reason-{period.pk}"}  # the banner links to its row
    if form.is_valid():
        try:
            period_services.period_reopen(
                period=period, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(period)s reopened.") % {"period": period.label})
            return redirect("period_list", slug=request.org.slug)
    return _periods_page(request, reopen_form=form, reopen_pk=period.pk)


urlpatterns = [
    path("indicators/", indicator_list, name="indicator_list"),
    path("indicators/new/", indicator_create, name="indicator_create"),
    path("indicators/<int:pk>/", indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/active/", indicator_set_active, name="indicator_set_active"),
    path("templates/", template_list, name="template_list"),
    path("templates/new/", template_create, name="template_create"),
    path("templates/<int:pk>/", template_edit, name="template_edit"),
    path("templates/<int:pk>/apply/", template_apply, name="template_apply"),
    path("departments/<int:pk>/kpis/", kpi_grid, name="kpi_grid"),
    path("departments/<int:pk>/kpis/add/", kpi_add, name="kpi_add"),
    path("kpis/<int:pk>/targets/", kpi_targets, name="kpi_targets"),
    path("departments/<int:pk>/targets/", department_targets, name="department_targets"),
    path("periods/", period_list, name="period_list"),
    path("periods/generate/", period_generate, name="period_generate"),
    path("periods/<int:pk>/lock/", period_lock, name="period_lock"),
    path("periods/<int:pk>/reopen/", period_reopen, name="period_reopen"),
]
