"""Pages of the briefing books: ask for the book of a period, list those made (state, who
asked, download), and the organization's monthly schedule (admin, HR)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from departments.access import org_view
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors
from scorecards.selectors.scorecards import latest_month_with_data

from . import selectors, services
from .forms import RequestForm, ScheduleForm
from .services import can_request_briefings, can_schedule_briefings


def _period(request):
    return metric_selectors.period_pick(
        org=request.org,
        wanted=request.GET.get("period") or request.POST.get("period"),
        defaults=(metric_selectors.PICK_WITH_DATA, metric_selectors.PICK_ENDED),
        latest_with_data=latest_month_with_data,
    )


@org_view(can_request_briefings)
def briefing_list(request):
    """The period's book on request, the books made (newest first) and the schedule."""
    org, membership = request.org, request.membership
    period = _period(request)
    schedules = bool(can_schedule_briefings(membership))
    request_form = RequestForm(initial={"language": request.LANGUAGE_CODE})
    schedule = selectors.schedule_get(org=org)
    schedule_form = ScheduleForm(instance=schedule)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "schedule" and schedules:
                schedule_form = ScheduleForm(request.POST, instance=schedule)
                if schedule_form.is_valid():
                    data = schedule_form.cleaned_data
                    services.schedule_save(org=org, membership=membership, **data)
                    messages.success(request, _("Schedule saved."))
                    return redirect(request.get_full_path())
            elif action == "request" and period is not None:
                request_form = RequestForm(request.POST)
                if request_form.is_valid():
                    services.briefing_request(
                        org=org,
                        period=period,
                        language=request_form.cleaned_data["language"],
                        by=request.user,
                    )
                    messages.success(
                        request, _("The book is being made: it appears in the list below.")
                    )
                    url = reverse("briefing_list", args=[org.slug])
                    return redirect(f"{url}?period={period.pk}")
            else:
                raise Http404
        except ValidationError as exc:
            add_service_errors(schedule_form if action == "schedule" else request_form, exc)
    briefings = list(selectors.briefing_list(org=org)[:50])
    context = {
        "period": period,
        "periods": metric_selectors.period_choices(org=org),
        "briefings": briefings,
        # the list refreshes itself (htmx) while a book is being made
        "pending": any(b.state in ("queued", "running") for b in briefings),
        "request_form": request_form,
        "schedule_form": schedule_form,
        "schedules": schedules,
        "schedule": schedule,
    }
    return render(request, "briefings/list.html", context)


@org_view(can_request_briefings)
def briefing_download(request, pk):
    """The book's PDF as an attachment named after its period (404 until it is made)."""
    briefing = selectors.briefing_get(org=request.org, pk=pk)
    if briefing.state != briefing.State.DONE:
        raise Http404
    response = HttpResponse(bytes(briefing.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{briefing.file_name}"'
    return response
