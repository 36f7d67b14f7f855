"""The balanced-scorecard pages (issue 20): a department's KPIs grouped by perspective, and
the company's, with the strategy map. They read stored scorecard lines only."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import can_view_department, is_member, visible_department_ids
from metrics import selectors as metric_selectors

from ..selectors import bsc as selectors
from ..selectors.scorecards import pending_period_ids
from .scorecards import period_for_page


def _context(request, period):
    return {
        "period": period,
        "periods": metric_selectors.period_choices(org=request.org),  # lazy: read when rendered
        "pending": period is not None and period.pk in pending_period_ids(org=request.org),
    }


@org_view(is_member)
def department_bsc(request, pk):
    """A department's lines of the period by perspective, each perspective with its
    weighted score; seen by whoever may see the department's scorecard."""
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    period = period_for_page(request)
    context = _context(request, period)
    context["department"] = department
    if period is not None:
        context["perspectives"] = selectors.department_bsc(
            org=request.org, department=department, period=period
        )
    return render(request, "scorecards/department_bsc.html", context)


@org_view(is_member)
def company_bsc(request):
    """The company's score per perspective (the mean of the departments'), the departments
    the member may see with theirs, and the strategy map of the goals in force."""
    period = period_for_page(request)
    context = _context(request, period)
    if period is not None:
        visible = visible_department_ids(request.membership)
        company = selectors.company_bsc(org=request.org, period=period, department_ids=visible)
        strategy = selectors.strategy_map(
            org=request.org, period=period, lines=company.lines, department_ids=visible
        )
        context.update(
            company=company,
            strategy=strategy,
            chart=selectors.strategy_chart(strategy),
        )
    return render(request, "scorecards/company_bsc.html", context)
