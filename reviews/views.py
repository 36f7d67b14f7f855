"""Scorecard pages (read stored results) and HR's recalculation with its progress."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import can_configure, can_view_all, can_view_department, is_member
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors

from . import dashboard_cache, exports, selectors
from .forms import DashboardFilterForm, GoalForm, GoalLinkFormSet
from .services import goal_save
from .tasks import request_full_recalculation


def _period(request):
    wanted = request.GET.get("period")
    if wanted:
        return metric_selectors.period_get(org=request.org, pk=wanted)
    return selectors.latest_period_with_data(org=request.org) or metric_selectors.current_period(
        org=request.org
    )


def _scorecard(request, pk):
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    period = _period(request)
    card = None
    if period is not None:
        cards = selectors.attach_lines(
            org=request.org,
            scorecards=selectors.scorecard_list(
                org=request.org, period_id=period.pk, department_ids=[department.pk]
            ),
        )
        card = cards[0] if cards else None
    return department, period, card


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view(is_member)
def department_scorecard_export(request, pk):
    department, period, card = _scorecard(request, pk)
    if period is None:
        raise Http404
    content = exports.scorecard_workbook(department=department, period=period, card=card)
    return _xlsx(content, f"scorecard-{department.code}-{period.start:%Y-%m}-{period.kind}.xlsx")


@org_view(is_member)
def department_scorecard(request, pk):
    department, period, card = _scorecard(request, pk)
    return render(
        request,
        "reviews/department_scorecard.html",
        {
            "department": department,
            "period": period,
            "card": card,
            "periods": metric_selectors.period_list(org=request.org),
            "pending": period is not None
            and period.pk in selectors.pending_period_ids(org=request.org),
        },
    )


@require_POST
@org_view(can_configure)
def recalculate_period(request, pk):
    period = metric_selectors.period_get(org=request.org, pk=pk)
    run = request_full_recalculation(org=request.org, period=period, by=request.user)
    return redirect("recalculation_status", slug=request.org.slug, pk=run.pk)


@org_view(can_configure)
def recalculation_status(request, pk):
    run = selectors.recalculation_run_get(org=request.org, pk=pk)
    template = "reviews/recalculation.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"run": run})


def _dashboard(request, period=None):
    period = period or _period(request)
    form = DashboardFilterForm(request.GET or None, org=request.org)
    filters = form.cleaned_data if form.is_valid() else {}
    data = {}
    if period is not None:
        ids = None if can_view_all(request.membership) else set(request.membership.managed_ids)
        if filters.get("parent"):
            below = set(
                dept_selectors.subtree_ids(org=request.org, department_id=filters["parent"].pk)
            )
            ids = below if ids is None else ids & below
        data = selectors.dashboard(
            org=request.org,
            period=period,
            department_ids=ids,
            kind=filters.get("kind") or None,
            function=filters.get("function") or None,
        )
    return period, form, data


@org_view(is_member)
def company_dashboard(request):
    """Company, management and business indices, the balance gap, their trend, the ranking
    and the heatmap (SPEC §5). Filters (kind, function, parent department) narrow the
    department views and stay in the URL. A manager sees the company-level indices and only
    their own departments. The body is cached per data version (reviews.dashboard_cache)."""
    part = request.GET.get("part")
    if part in ("statuses", "trend"):  # the two big tables, loaded when opened
        _period_, _form, data = _dashboard(request)
        return render(request, f"reviews/dashboard.html#{part}", data)
    seconds = dashboard_cache.timeout()
    scope = None if can_view_all(request.membership) else sorted(request.membership.managed_ids)

    def key(period_id):
        return dashboard_cache.body_key(
            org_id=request.org.pk,
            parts=(period_id, sorted(request.GET.items()), scope, translation.get_language()),
        )

    wanted = request.GET.get("period", "")
    if seconds and wanted.isascii() and wanted.isdigit():
        # A body cached for this period id under the current data version means the period
        # is this organization's (deleting one renews the version): no need to read it.
        cached = cache.get(key(int(wanted)))
        if cached is not None:
            context = {"pending": int(wanted) in selectors.pending_period_ids(org=request.org)}
            context["heading"], context["body"] = cached
            return render(request, "reviews/dashboard.html", context)
    period = _period(request)
    context = {
        "period": period,
        "periods": metric_selectors.period_list(org=request.org),  # lazy: read when rendered
        "pending": period is not None
        and period.pk in selectors.pending_period_ids(org=request.org),
    }
    if period is not None:
        cached = cache.get(key(period.pk)) if seconds else None
        if cached is None:
            _period_, form, data = _dashboard(request, period=period)
            context.update(data, form=form, charts=_dashboard_charts(data))
            cached = tuple(
                render_to_string(f"reviews/dashboard.html#{part}", context, request=request)
                for part in ("heading", "body")
            )
            if seconds:
                cache.set(key(period.pk), cached, seconds)
        context["heading"], context["body"] = cached
    return render(request, "reviews/dashboard.html", context)


@org_view(is_member)
def company_dashboard_export(request):
    """The dashboard's tables as .xlsx, with the same period and filters."""
    period, _form, data = _dashboard(request)
    if period is None:
        raise Http404
    content = exports.dashboard_workbook(org=request.org, period=period, data=data)
    return _xlsx(content, f"dashboard-{period.start:%Y-%m}-{period.kind}.xlsx")


def _number(value):
    """A score for a chart: one decimal, as the tables and tooltips show it (the heatmap's
    5,000 cells are most of the page's weight)."""
    return None if value is None else round(float(value), 1)


STATUS_LEVEL = {"grey": 0, "red": 1, "amber": 2, "green": 3}


def _box(q):
    return None if q is None else [q["min"], q["q1"], q["median"], q["q3"], q["max"]]


def _dashboard_charts(data) -> dict:
    """The numbers the dashboard's charts draw (the tables on the page show the same)."""
    if not data:
        return {}
    heat = data["heatmap"]
    return {
        "comparison": [
            {
                "name": c.department.display_name,
                "kind": c.department.kind,
                "score": _number(c.score),
            }
            for c in data["ranking"]
        ],
        "heatmap": {
            "columns": [i.display_name for i in heat["columns"]],
            "rows": [r["department"].display_name for r in heat["rows"]],
            "cells": [
                [x, y, STATUS_LEVEL[cell.status], _number(cell.score)]
                for y, row in enumerate(heat["rows"])
                for x, cell in enumerate(row["cells"])
                if cell is not None
            ],
        },
        "scatter": [
            {
                "name": c.department.display_name,
                "kind": c.department.kind,
                "coverage": round(float(c.coverage) * 100, 1),
                "score": _number(c.score),
            }
            for c in data["ranking"]
            if c.score is not None
        ],
        "fairness": [
            {
                "period": r["period"].label,
                "management": _box(r["management"]),
                "business": _box(r["business"]),
            }
            for r in data["fairness"]["rows"]
        ],
        "departments_trend": [
            {
                "name": r["department"].display_name,
                "kind": r["department"].kind,
                "scores": [_number(v) for v in r["scores"]],
            }
            for r in data["department_trend"]
        ],
        "trend": {
            "periods": [o.period.label for o in data["trend"]],
            "company": [_number(o.company_index) for o in data["trend"]],
            "management": [_number(o.management_index) for o in data["trend"]],
            "business": [_number(o.business_index) for o in data["trend"]],
        },
    }


@org_view(is_member)
def goal_list(request):
    """Company goals of a period with their progress and contributing departments,
    management and business side by side."""
    period = _period(request)
    goals = list(selectors.goal_list(org=request.org, period_id=period.pk if period else None))
    sides = selectors.goal_contributions(org=request.org, goals=goals)
    for goal in goals:
        goal.sides = sides[goal.pk]
    return render(
        request,
        "reviews/goals.html",
        {
            "goals": goals,
            "period": period,
            "periods": metric_selectors.period_list(org=request.org),
        },
    )


@org_view(can_view_all)
def goal_edit(request, pk=None):
    """HR and executives set a goal and link KPIs of departments of both kinds."""
    goal = selectors.goal_get(org=request.org, pk=pk) if pk else None
    initial = {}
    links_initial = []
    if goal is not None:
        initial = {"title": goal.title, "description": goal.description, "period": goal.period}
        links_initial = [{"kpi": link.kpi, "weight": link.weight} for link in goal.links.all()]
    form = GoalForm(request.POST or None, initial=initial, org=request.org)
    links = GoalLinkFormSet(
        request.POST or None, initial=links_initial, form_kwargs={"org": request.org}
    )
    if request.method == "POST" and form.is_valid() and links.is_valid():
        chosen = [
            (row["kpi"], row.get("weight") if row.get("weight") is not None else 1)
            for row in links.cleaned_data
            if row.get("kpi")
        ]
        try:
            saved = goal_save(
                org=request.org, by=request.user, goal=goal, links=chosen, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Goal saved; its progress is being computed."))
            return redirect(
                f"{reverse('goal_list', kwargs={'slug': request.org.slug})}"
                f"?period={saved.period_id}"
            )
    return render(request, "reviews/goal_form.html", {"form": form, "links": links, "goal": goal})


@org_view(is_member)
def kpi_detail(request, pk):
    """One KPI over time (actual against its target, from stored scorecard lines) and every
    change of its values: the drill-down below a department scorecard."""
    kpi = metric_selectors.kpi_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, kpi.department):
        raise PermissionDenied
    kind = request.GET.get("kind") if request.GET.get("kind") in ("month", "quarter") else "month"
    trend = selectors.kpi_trend(org=request.org, kpi=kpi, kind=kind)
    # A period of the trend marked for recalculation: its lines may be out of date.
    pending = not selectors.pending_period_ids(org=request.org).isdisjoint(p.pk for p, _ in trend)
    chart = {
        "periods": [p.label for p, _line in trend],
        "actual": [_number(line.actual) if line else None for _p, line in trend],
        "target": [_number(line.target) if line else None for _p, line in trend],
        "score": [_number(line.score) if line else None for _p, line in trend],
    }
    return render(
        request,
        "reviews/kpi_detail.html",
        {
            "kpi": kpi,
            "kind": kind,
            "pending": pending,
            "trend": trend,
            "chart": chart,
            "history": metric_selectors.actual_history(org=request.org, kpi=kpi),
        },
    )


urlpatterns = [
    path("dashboard/", company_dashboard, name="company_dashboard"),
    path("goals/", goal_list, name="goal_list"),
    path("kpis/<int:pk>/", kpi_detail, name="kpi_detail"),
    path("goals/new/", goal_edit, name="goal_create"),
    path("goals/<int:pk>/", goal_edit, name="goal_edit"),
    path("dashboard/export.xlsx", company_dashboard_export, name="company_dashboard_export"),
    path("scorecards/<int:pk>/", department_scorecard, name="department_scorecard"),
    path(
        "scorecards/<int:pk>/export.xlsx",
        department_scorecard_export,
        name="department_scorecard_export",
    ),
    path("periods/<int:pk>/recalculate/", recalculate_period, name="recalculate_period"),
    path("recalculations/<int:pk>/", recalculation_status, name="recalculation_status"),
]
