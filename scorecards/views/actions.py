"""Action plans (issue 19): the organization's actions (filters; "my actions"), one action
with its update form, a new action on a red or amber KPI line or a goal behind plan, and
the red KPIs that have no action."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import (
    can_plan_actions,
    can_update_action_status,
    can_view_action,
    is_member,
    visible_department_ids,
)
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors

from ..forms import (
    ActionFilterForm,
    ActionForm,
    ActionUpdateForm,
    goal_subject,
    subject_parse,
    subject_value,
)
from ..selectors import actions as selectors
from ..selectors import goals as goal_selectors
from ..services import action_create, action_update
from .scorecards import period_for_page

PAGE_SIZE = 50


def back_to(request, fallback: str) -> str:
    """The page to return to after a new action: `next` when it is one of this
    organization's pages, else `fallback`."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith(f"/o/{request.org.slug}/") else fallback


def _subject(request, value: str) -> tuple[dict, tuple[str, str]]:
    """The subject a form names ({"kpi", "period"} or {"goal"}) and its choice; 404 for
    another organization's or a missing object, as every page."""
    parsed = subject_parse(value)
    if parsed is None:
        raise Http404
    if "goal" in parsed:
        goal = goal_selectors.goal_get(org=request.org, pk=parsed["goal"])
        return {"goal": goal}, goal_subject(goal)
    kpi = metric_selectors.kpi_get(org=request.org, pk=parsed["kpi"])
    period = metric_selectors.period_get(org=request.org, pk=parsed["period"])
    label = f"{kpi.department.display_name} · {kpi.indicator.display_name} · {period.label}"
    return {"kpi": kpi, "period": period}, (subject_value(kpi=kpi, period=period), label)


@org_view(is_member)
def action_new(request):
    """A new action on the subject the link or form names (`subject`): a red or amber KPI
    line or a goal behind plan. The scorecard, KPI and goals pages post here; a refusal
    is shown on this page, beside its field."""
    subject, choice = _subject(request, request.POST.get("subject") or request.GET.get("subject"))
    department = subject["kpi"].department if "kpi" in subject else None
    if not can_plan_actions(request.membership, department):
        raise PermissionDenied
    members = selectors.member_choices(org=request.org)
    form = ActionForm(
        request.POST or None,
        subjects=[choice],
        members=members,
        owner=request.user.pk,
        initial={"subject": choice[0]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = action_create(
                org=request.org,
                membership=request.membership,
                title=data["title"],
                owner=selectors.member_user(org=request.org, user_id=data["owner"]),
                due_date=data["due_date"],
                **subject,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Action added: its owner sees it in their actions."))
            fallback = reverse("action_detail", args=[request.org.slug, action.pk])
            return redirect(back_to(request, fallback))
    return render(
        request, "scorecards/action_new.html", {"form": form, "next": back_to(request, "")}
    )


@org_view(is_member)
def action_list(request):
    """The actions a member sees (their departments', the company goals', their own),
    filtered by status, owner, department, overdue, or "my actions"; soonest due first,
    50 a page."""
    visible = visible_department_ids(request.membership)
    departments = [
        (d.pk, d.display_name)
        for d in dept_selectors.department_list(org=request.org)
        if visible is None or d.pk in visible
    ]
    form = ActionFilterForm(
        request.GET or None,
        members=selectors.member_choices(org=request.org),
        departments=departments,
    )
    filters = form.cleaned_data if form.is_valid() else {}
    owner_id = request.user.pk if filters.get("mine") else filters.get("owner")
    actions = selectors.action_list(
        org=request.org,
        department_ids=visible,
        user=request.user,
        status=filters.get("status") or None,
        owner_id=owner_id,
        department_id=filters.get("department"),
        overdue=bool(filters.get("overdue")),
    )
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "scorecards/actions.html",
        {"form": form, "page": page, "actions": page.object_list, "mine": filters.get("mine")},
    )


@org_view(is_member)
def action_detail(request, pk):
    """One action: its subject, owner, due date and status; those who may plan it change
    all of it, its owner its status (departments.permissions)."""
    action = selectors.action_get(org=request.org, pk=pk)
    membership = request.membership
    if not can_view_action(membership, department=action.department, owner_id=action.owner_id):
        raise PermissionDenied
    planner = can_plan_actions(membership, action.department)
    may_update = can_update_action_status(
        membership, department=action.department, owner_id=action.owner_id
    )
    form = None
    if may_update:
        members = selectors.member_choices(org=request.org) if planner else []
        form = ActionUpdateForm(
            request.POST or None, action=action, members=members, planner=planner
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            changes = {"status": data["status"]}
            if planner:
                changes.update(
                    title=data["title"],
                    owner=selectors.member_user(org=request.org, user_id=data["owner"]),
                    due_date=data["due_date"],
                )
            try:
                action_update(org=request.org, membership=membership, action=action, **changes)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Action updated."))
                return redirect("action_detail", slug=request.org.slug, pk=action.pk)
    return render(
        request,
        "scorecards/action_detail.html",
        {"action": action, "form": form, "planner": planner},
    )


@org_view(is_member)
def red_without_action(request):
    """The period's red KPIs that no action covers, in the departments the member sees,
    each linked to its KPI and, for those who may plan it, to a new action."""
    period = period_for_page(request)
    lines = []
    if period is not None:
        lines = selectors.red_without_action(
            org=request.org,
            period=period,
            department_ids=visible_department_ids(request.membership),
        )
    for line in lines:
        line.plannable = can_plan_actions(request.membership, line.department)
        line.subject = subject_value(kpi=line.kpi, period=period)
    return render(
        request,
        "scorecards/red_without_action.html",
        {
            "period": period,
            "periods": metric_selectors.period_choices(org=request.org),
            "lines": lines,
        },
    )
