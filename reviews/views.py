"""Scorecard pages (read stored results) and HR's recalculation with its progress."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import can_configure, can_view_department, is_member
from metrics import selectors as metric_selectors

from . import selectors
from .tasks import request_full_recalculation


def _period(request):
    wanted = request.GET.get("period")
    if wanted:
        return metric_selectors.period_get(org=request.org, pk=wanted)
    return selectors.latest_period_with_data(org=request.org) or metric_selectors.current_period(
        org=request.org
    )


@org_view(is_member)
def department_scorecard(request, pk):
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


@org_view(is_member)
def company_dashboard(request):
    """Company, management and business indices, the balance gap and the ranking (SPEC §5).
    A manager sees the company-level indices and only their own departments' rows."""
    from departments.permissions import can_view_all

    period = _period(request)
    data = {}
    if period is not None:
        ids = None if can_view_all(request.membership) else request.membership.managed_ids
        data = selectors.dashboard(org=request.org, period=period, department_ids=ids)
    chart = [
        {
            "name": card.department.display_name,
            "kind": card.department.kind,
            "score": float(card.score) if card.score is not None else None,
        }
        for card in data.get("ranking", [])
    ]
    return render(
        request,
        "reviews/dashboard.html",
        {
            "period": period,
            "periods": metric_selectors.period_list(org=request.org),
            "chart": chart,
            **data,
        },
    )


urlpatterns = [
    path("dashboard/", company_dashboard, name="company_dashboard"),
    path("scorecards/<int:pk>/", department_scorecard, name="department_scorecard"),
    path("periods/<int:pk>/recalculate/", recalculate_period, name="recalculate_period"),
    path("recalculations/<int:pk>/", recalculation_status, name="recalculation_status"),
]
