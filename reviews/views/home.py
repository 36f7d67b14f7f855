"""The home page (what "/" shows after sign-in, issue 16 §1): each role's to-do list, and
HR's "remind" action that the home page and the completeness page post to."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from departments.access import org_view
from departments.permissions import (
    can_configure,
    can_decide_reviews,
    is_manager,
    is_member,
    managed_department_ids,
)
from metrics import selectors as metric_selectors

from .. import home
from ..services.reminders import entry_remind


@org_view(is_member)
def org_home(request):
    """The member's to-do: the sections of each of their roles (a manager, or anyone who
    manages a department; HR and admins; executives and admins), then the shortcuts."""
    org, membership = request.org, request.membership
    context = {"sign_off": home.sign_off_todo(org=org, membership=membership, user=request.user)}
    if is_manager(membership) or managed_department_ids(membership):
        context["manager"] = home.manager_todo(org=org, membership=membership, user=request.user)
        context["manager_follow"] = home.actions_follow_up(
            org=org, department_ids=managed_department_ids(membership), user=request.user
        )
    if can_configure(membership):
        context["hr"] = home.hr_todo(org=org)
    if can_decide_reviews(membership):
        context["executive"] = home.executive_todo(org=org)
        context["executive_follow"] = home.actions_follow_up(org=org)
    context["my_open_actions"] = home.my_open_actions(org=org, user=request.user)
    return render(request, "reviews/home.html", context)


class IdsField(forms.Field):
    """Repeated whole numbers (`?department=1&department=2`); entry_remind keeps only the
    departments late in the period, so an unknown id reminds nobody."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value or []
        if not all(str(v).isascii() and str(v).isdigit() for v in values):
            raise ValidationError(_("Choose departments by their number."))
        return [int(v) for v in values]


class RemindForm(forms.Form):
    period = forms.IntegerField(label=gettext_lazy("Period"))
    department = IdsField(label=gettext_lazy("Departments"), required=False)
    back = forms.ChoiceField(choices=[("home", "home"), ("completeness", "completeness")])


def _said(names) -> str:
    return ", ".join(d.display_name for d in names)


@require_POST
@org_view(can_configure)
def entry_remind_view(request):
    """Remind now the managers of one late department (from the completeness page) or of
    every late one (home page), once a day at most per department; say what was done."""
    form = RemindForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reminder could not be sent: choose a period."))
        return redirect("org_home", slug=request.org.slug)
    period = metric_selectors.period_get(org=request.org, pk=form.cleaned_data["period"])
    try:
        result = entry_remind(
            org=request.org,
            period=period,
            by=request.user,
            department_ids=set(form.cleaned_data["department"]) or None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if result.reminded:
            messages.success(
                request, _("Reminder sent to the managers of: %s.") % _said(result.reminded)
            )
        if result.already:
            messages.info(
                request,
                _("Already reminded today, not sent again: %s.") % _said(result.already),
            )
        if result.not_sent:
            messages.warning(
                request,
                _("Not sent (no e-mail address, or reminders turned off): %s.")
                % _said(result.not_sent),
            )
        if result.escalated:
            messages.warning(
                request,
                _("Also reminded, the managers above: %s.")
                % ", ".join(
                    _("%(department)s → %(above)s")
                    % {"department": d.display_name, "above": above.display_name}
                    for d, above in result.escalated
                ),
            )
        if result.no_manager:
            messages.warning(
                request,
                _("No manager to remind, here or above: %s. Choose a manager.")
                % _said(result.no_manager),
            )
        if not (result.reminded or result.already or result.not_sent or result.no_manager):
            messages.info(request, _("Nobody to remind: no values are missing."))
    if form.cleaned_data["back"] == "completeness":
        return redirect(
            reverse("entry_completeness", kwargs={"slug": request.org.slug})
            + f"?period={period.pk}"
        )
    return redirect("org_home", slug=request.org.slug)
