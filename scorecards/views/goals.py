"""Company goals: the list with their progress, and HR's form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments.access import org_view
from departments.permissions import can_plan_actions, can_view_all, is_member
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors

from ..forms import ActionForm, GoalForm, GoalLinkFormSet, goal_subject
from ..selectors import actions as action_selectors
from ..selectors import goals as goal_selectors
from ..services import goal_behind_plan, goal_save
from .scorecards import period_for_page


@org_view(is_member)
def goal_list(request):
    """Company goals in force during a period (its own, its quarter's and its year's, as
    the dashboard shows them) with their progress and contributing departments,
    management and business side by side."""
    period = period_for_page(request)
    goals = list(
        goal_selectors.goals_in_force(org=request.org, period=period)
        if period
        else goal_selectors.goal_list(org=request.org)
    )
    sides = goal_selectors.goal_contributions(org=request.org, goals=goals)
    for goal in goals:
        goal.sides = sides[goal.pk]
        goal.behind_plan = goal_behind_plan(goal)
    action_selectors.attach_goal_actions(org=request.org, goals=goals)
    subjects = [goal_subject(goal) for goal in goals if goal.behind_plan]
    action_form = None
    if subjects and can_plan_actions(request.membership, None):
        action_form = ActionForm(
            subjects=subjects,
            members=action_selectors.member_choices(org=request.org),
            owner=request.user.pk,
        )
    return render(
        request,
        "scorecards/goals.html",
        {
            "goals": goals,
            "period": period,
            "periods": metric_selectors.period_choices(org=request.org),
            "action_form": action_form,
        },
    )


@org_view(can_view_all)
def goal_edit(request, pk=None):
    """HR and executives set a goal and link KPIs of departments of both kinds."""
    goal = goal_selectors.goal_get(org=request.org, pk=pk) if pk else None
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
    return render(
        request, "scorecards/goal_form.html", {"form": form, "links": links, "goal": goal}
    )
