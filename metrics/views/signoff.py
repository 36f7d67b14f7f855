"""The confirmers' queue: the values awaiting their confirmation, confirmed or rejected
one at a time or in bulk (metrics.services.signoff)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from departments.access import org_view
from departments.permissions import is_member

from .. import selectors
from ..services.signoff import REASON_MAX, SignOffRefused, actuals_confirm, actuals_reject


class SignOffForm(forms.Form):
    """The rows ticked (each "<actual id>:<version shown>"), what to do and, to reject, why."""

    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("confirm", gettext_lazy("Confirm")), ("reject", gettext_lazy("Reject"))],
    )
    actuals = forms.MultipleChoiceField(label=gettext_lazy("Values"))
    reason = forms.CharField(
        label=gettext_lazy("Reason for a rejection"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actuals"].choices = [(a.choice, str(a.pk)) for a in rows]
        self.fields["actuals"].error_messages["required"] = _("Tick at least one value.")
        self.fields["actuals"].error_messages["invalid_choice"] = _(
            "A value ticked no longer awaits confirmation as shown: look at the list again."
        )
        self.error_anchors = {"actuals": "sign-off-list"}

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error(
                "reason",
                _("Give the reason for the rejection: the person who entered it reads it."),
            )
        return data

    def items(self) -> list[tuple[int, int]]:
        pairs = (choice.split(":") for choice in self.cleaned_data["actuals"])
        return [(int(pk), int(version)) for pk, version in pairs]


@org_view(is_member)
def sign_off_queue(request):
    """Every value this member may confirm: tick rows, confirm them or reject them with a
    reason. A member who confirms nothing sees an empty list."""
    rows = list(selectors.pending_actuals(org=request.org, membership=request.membership))
    for row in rows:
        row.choice = f"{row.pk}:{row.version}"
    form = SignOffForm(request.POST or None, rows=rows)
    if request.method == "POST" and form.is_valid():
        act = actuals_confirm if form.cleaned_data["action"] == "confirm" else actuals_reject
        extra = {"reason": form.cleaned_data["reason"]} if act is actuals_reject else {}
        try:
            done = act(
                org=request.org,
                by=request.user,
                membership=request.membership,
                items=form.items(),
                **extra,
            )
        except SignOffRefused as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            text = (
                ngettext(
                    "%(n)d value confirmed: it counts now.",
                    "%(n)d values confirmed: they count now.",
                    done,
                )
                if act is actuals_confirm
                else ngettext(
                    "%(n)d value rejected: the person who entered it is told why.",
                    "%(n)d values rejected: the people who entered them are told why.",
                    done,
                )
            )
            messages.success(request, text % {"n": done})
            return redirect("sign_off_queue", slug=request.org.slug)
    ticked = set(request.POST.getlist("actuals"))
    return render(
        request, "metrics/signoff/queue.html", {"rows": rows, "form": form, "ticked": ticked}
    )


urlpatterns = [path("confirmations/", sign_off_queue, name="sign_off_queue")]
