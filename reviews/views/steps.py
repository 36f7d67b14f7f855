"""The settings page of the review workflow: the organization's steps, added, renamed,
moved (by position number) and removed by admin and HR."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.access import org_view
from departments.permissions import can_configure
from perfhub.errors import add_service_errors

from ..forms import StepForm
from ..services.steps import (
    review_step_add,
    review_step_remove,
    review_step_update,
    review_steps,
)


def _post(request, steps) -> tuple[str | None, StepForm, int | None]:
    """Take the posted change: (success message or None, the form posted, the step it was
    about, whose row shows the errors)."""
    action = request.POST.get("action", "")
    form = StepForm(request.POST)
    raw = request.POST.get("step", "")
    step = next((s for s in steps if str(s.pk) == raw), None)
    if action not in ("add", "update", "remove") or (action != "add" and step is None):
        form.add_error(None, _("Unknown step or action: reload the page."))
        return None, form, None
    if not form.is_valid():
        return None, form, step.pk if step else None
    data = form.cleaned_data
    args = {"org": request.org, "membership": request.membership}
    try:
        if action == "add":
            if not data["role"]:
                raise ValidationError({"role": [_("Choose who acts at this step.")]})
            review_step_add(**args, role=data["role"], name=data["name"], position=data["position"])
            return _("Step added."), form, None
        assert step is not None  # refused above for update and remove
        if action == "remove":
            review_step_remove(**args, step=step)
            return _("Step removed."), form, None
        review_step_update(
            **args,
            step=step,
            name=data["name"],
            role=data["role"] or None,
            position=data["position"],
        )
        return _("Step saved."), form, None
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, form, step.pk if step else None


@org_view(can_configure)
def review_steps_page(request):
    """The organization's review steps in order, each editable in its own row, and a form
    to add one (admin and HR)."""
    steps = review_steps(org=request.org)
    posted, posted_for = None, None
    if request.method == "POST":
        done, posted, posted_for = _post(request, steps)
        if done:
            messages.success(request, done)
            return redirect("review_steps", slug=request.org.slug)
    rows = [
        (
            step,
            posted
            if posted is not None and posted_for == step.pk
            else StepForm(
                initial={"position": step.position, "role": step.role, "name": step.name}
            ),
        )
        for step in steps
    ]
    add = posted if posted is not None and posted_for is None else StepForm()
    return render(
        request,
        "reviews/review_steps.html",
        {"rows": rows, "add": add, "posted_for": posted_for},
    )
