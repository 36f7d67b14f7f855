"""The settings page of the feedback criteria: what feedback rates (1-5 each), added,
renamed, reordered, switched off or deleted by admin and HR."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.access import org_view
from departments.permissions import can_configure
from perfhub.errors import add_service_errors

from ..forms import CriterionForm
from ..services.criteria import (
    criterion_create,
    criterion_delete,
    criterion_update,
    feedback_criteria,
)


def _initial(c) -> dict:
    return {
        "name": c.name,
        "name_en": c.name_en,
        "applies_to": c.applies_to,
        "position": c.position,
        "is_active": c.is_active,
    }


def _post(request, criteria) -> tuple[str | None, CriterionForm, int | None]:
    """Take the posted change: (success message or None, the form posted, the criterion
    it was about, whose row shows the errors)."""
    action = request.POST.get("action", "")
    raw = request.POST.get("criterion", "")
    criterion = next((c for c in criteria if str(c.pk) == raw), None)
    prefix = f"c{criterion.pk}" if criterion else "add"
    form = CriterionForm(request.POST, prefix=prefix)
    if action not in ("add", "update", "delete") or (action != "add" and criterion is None):
        form.add_error(None, _("Unknown criterion or action: reload the page."))
        return None, form, None
    args = {"org": request.org, "membership": request.membership}
    try:
        if action == "delete":
            assert criterion is not None
            criterion_delete(**args, criterion=criterion)
            return _("Criterion deleted."), form, None
        if not form.is_valid():
            return None, form, criterion.pk if criterion else None
        if action == "add":
            criterion_create(**args, **form.cleaned_data)
            return _("Criterion added."), form, None
        assert criterion is not None
        fields = dict(form.cleaned_data)
        if fields["position"] is None:
            fields["position"] = criterion.position
        criterion_update(**args, criterion=criterion, **fields)
        return _("Criterion saved."), form, None
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, form, criterion.pk if criterion else None


@org_view(can_configure)
def feedback_criteria_page(request):
    """The organization's feedback criteria in order, each editable in its own row, and a
    form to add one (admin and HR)."""
    criteria = feedback_criteria(org=request.org)
    posted, posted_for = None, None
    if request.method == "POST":
        done, posted, posted_for = _post(request, criteria)
        if done:
            messages.success(request, done)
            return redirect("feedback_criteria", slug=request.org.slug)
    rows = [
        (
            c,
            posted
            if posted is not None and posted_for == c.pk
            else CriterionForm(initial=_initial(c), prefix=f"c{c.pk}"),
        )
        for c in criteria
    ]
    add = (
        posted
        if posted is not None and posted_for is None
        else CriterionForm(prefix="add", initial={"is_active": True})
    )
    return render(request, "reviews/feedback_criteria.html", {"rows": rows, "add": add})
