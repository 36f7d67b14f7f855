"""The company dashboard (SPEC §5) and its export."""

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import is_member, visible_department_ids
from metrics import selectors as metric_selectors

from .. import dashboard_cache, exports
from ..charts import dashboard_charts as _dashboard_charts
from ..forms import DashboardFilterForm
from ..selectors import dashboard as dashboard_selectors
from ..selectors import goals as goal_selectors
from ..selectors import scorecards as selectors
from ..selectors.compare import compare_choice
from .scorecards import period_for_page, xlsx_response

MEMBER = object()  # _dashboard's default: the departments the member may see


def _dashboard(request, period=None, visible=MEMBER):
    """(period, filter form, what the dashboard shows) for the request's period, filters and
    `visible` departments (default: those of the member; None: every department)."""
    period = period or period_for_page(request)
    form = DashboardFilterForm(request.GET or None, org=request.org)
    filters = form.cleaned_data if form.is_valid() else {}
    data = {}
    if period is not None:
        ids = visible_department_ids(request.membership) if visible is MEMBER else visible
        if filters.get("parent"):
            below = set(
                dept_selectors.subtree_ids(org=request.org, department_id=filters["parent"].pk)
            )
            ids = below if ids is None else ids & below
        data = dashboard_selectors.dashboard(
            org=request.org,
            period=period,
            department_ids=ids,
            kind=filters.get("kind") or None,
            function=filters.get("function") or None,
            compare=compare_choice(request.GET.get("compare")),
        )
    return period, form, data


def dashboard_parts(request, period, visible=MEMBER) -> tuple[str, str]:
    """The heading and body of the dashboard of `period`, as this request asks for it
    (filters) and for the `visible` departments: what the cache keeps (the warm dashboards,
    scorecards.dashboard_warm, render them for the default view)."""
    _period, form, data = _dashboard(request, period=period, visible=visible)
    return _render_parts(request, period, form, data)


def _render_parts(request, period, form, data) -> tuple[str, str]:
    context = {
        "period": period,
        "periods": metric_selectors.period_list(org=request.org),  # lazy: read when rendered
        **data,
        "form": form,
        "charts": _dashboard_charts(data),
    }
    heading, body = (
        render_to_string(f"scorecards/dashboard.html#{part}", context, request=request)
        for part in ("heading", "body")
    )
    return heading, body


def cache_key(request, period_id: int, scope) -> str:
    return dashboard_cache.body_key(
        org_id=request.org.pk,
        period_id=period_id,
        params=request.GET.items(),
        scope=scope,
        language=translation.get_language(),
    )


@org_view(is_member)
def company_dashboard(request):
    """Company, management and business indices, the balance gap, their trend, the ranking
    and the heatmap (SPEC §5). Filters (kind, function, parent department) narrow the
    department views and stay in the URL. A manager sees the company-level indices and only
    their own departments. The body is cached per data version (scorecards.dashboard_cache),
    and warmed for the default view after each roll-up (scorecards.dashboard_warm)."""
    part = request.GET.get("part")
    if part in ("statuses", "trend"):  # the two big tables, loaded when opened
        _period_, _form, data = _dashboard(request)
        return render(request, f"scorecards/dashboard.html#{part}", data)
    seconds = dashboard_cache.timeout()
    visible = visible_department_ids(request.membership)
    scope = None if visible is None else sorted(visible)
    wanted = request.GET.get("period", "")
    if seconds and wanted.isascii() and wanted.isdigit():
        # A body cached for this period id under the current data version means the period
        # is this organization's (deleting one renews the version): no need to read it.
        cached = cache.get(cache_key(request, int(wanted), scope))
        if cached is not None:
            context = {"pending": int(wanted) in selectors.pending_period_ids(org=request.org)}
            context["heading"], context["body"] = cached
            return render(request, "scorecards/dashboard.html", context)
    period = period_for_page(request)
    context = {
        "period": period,
        "periods": metric_selectors.period_choices(org=request.org),  # lazy: read when rendered
        "pending": period is not None
        and period.pk in selectors.pending_period_ids(org=request.org),
    }
    if period is not None:
        # The key (its data version) read once, before the data: a body computed while a
        # roll-up commits is stored under the old version, which no later request asks for.
        key = cache_key(request, period.pk, scope)
        cached = cache.get(key) if seconds else None
        if cached is None:
            _period_, form, data = _dashboard(request, period=period, visible=visible)
            context.update(data, form=form)  # the tests look at what was computed
            cached = _render_parts(request, period, form, data)
            if seconds:
                cache.set(key, cached, seconds)
        context["heading"], context["body"] = cached
    return render(request, "scorecards/dashboard.html", context)


@org_view(is_member)
def company_dashboard_export(request):
    """The dashboard's tables as .xlsx, with the same period, filters and comparison
    (同比 or 环比), and the company goals in force during the period with their
    contributing departments."""
    period, _form, data = _dashboard(request)
    if period is None:
        raise Http404
    goals = list(goal_selectors.goals_in_force(org=request.org, period=period))
    content = exports.dashboard_workbook(
        org=request.org,
        period=period,
        data=data,
        goals=goals,
        contributions=goal_selectors.goal_contributions(org=request.org, goals=goals),
        by=request.user,
    )
    return xlsx_response(content, f"dashboard-{period.start:%Y-%m}-{period.kind}.xlsx")
