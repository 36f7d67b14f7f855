"""The data feed pages (issue 20 part 4): admins only. A feed's address and password are
never shown back; its page lists its runs with what they read, saved and refused."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.access import org_view
from departments.permissions import can_edit_settings
from perfhub.errors import add_service_errors

from . import selectors
from .forms import AllowedHostForm, FeedForm
from .models import FeedRun
from .services import feeds as services
from .services.runs import run_request

RECENT = 20


@org_view(can_edit_settings)
def feed_list(request):
    """The feeds with their latest run."""
    feeds = list(selectors.feed_list(org=request.org))
    last = selectors.last_runs(org=request.org, feed_ids=[f.pk for f in feeds])
    rows = [(feed, last.get(feed.pk)) for feed in feeds]
    return render(request, "feeds/feed_list.html", {"rows": rows})


def _feed_form_view(request, feed=None):
    initial = None
    if feed is not None:
        initial = {
            name: getattr(feed, name)
            for name in FeedForm.base_fields
            if name not in ("url", "password", "clear_password")
        }
    form = FeedForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.feed_save(
                org=request.org,
                feed=feed,
                by=request.user,
                data=services.FeedInput(**form.cleaned_data),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Feed saved."))
            return redirect("feed_detail", slug=request.org.slug, pk=saved.pk)
    return render(request, "feeds/feed_form.html", {"form": form, "feed": feed})


@org_view(can_edit_settings)
def feed_create(request):
    return _feed_form_view(request)


@org_view(can_edit_settings)
def feed_edit(request, pk):
    return _feed_form_view(request, selectors.feed_get(org=request.org, pk=pk))


@org_view(can_edit_settings)
def feed_detail(request, pk):
    """The feed, its runs and one run's result (the latest, or ?run=); polled by htmx while
    that run is unfinished."""
    feed = selectors.feed_get(org=request.org, pk=pk)
    runs = list(selectors.run_list(org=request.org, feed_id=feed.pk)[:RECENT])
    run = runs[0] if runs else None
    wanted = request.GET.get("run", "")
    if wanted.isdigit():
        run = selectors.run_get(org=request.org, pk=int(wanted), feed_id=feed.pk)
    template = "feeds/feed_detail.html"
    if request.htmx and run is not None:
        template += "#run"
    return render(request, template, {"feed": feed, "runs": runs, "run": run})


def _run(request, pk, *, dry_run: bool):
    feed = selectors.feed_get(org=request.org, pk=pk)
    run = run_request(
        org=request.org,
        feed=feed,
        by=request.user,
        dry_run=dry_run,
        trigger=FeedRun.Trigger.MANUAL,
    )
    messages.success(
        request,
        _("Dry run queued: it saves nothing and shows what would change.")
        if dry_run
        else _("Run queued. Its result appears below."),
    )
    url = reverse("feed_detail", kwargs={"slug": request.org.slug, "pk": feed.pk})
    return redirect(f"{url}?run={run.pk}")


@require_POST
@org_view(can_edit_settings)
def feed_run(request, pk):
    return _run(request, pk, dry_run=False)


@require_POST
@org_view(can_edit_settings)
def feed_dry_run(request, pk):
    return _run(request, pk, dry_run=True)


@require_POST
@org_view(can_edit_settings)
def feed_delete(request, pk):
    feed = selectors.feed_get(org=request.org, pk=pk)
    services.feed_delete(org=request.org, feed=feed, by=request.user)
    messages.success(request, _("Feed deleted."))
    return redirect("feed_list", slug=request.org.slug)


@org_view(can_edit_settings)
def allowed_host_list(request):
    """The allow-list: the addresses feeds may reach, and a form to add one."""
    form = AllowedHostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.allowed_host_add(org=request.org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Address allowed."))
            return redirect("allowed_host_list", slug=request.org.slug)
    hosts = list(selectors.allowed_host_list(org=request.org))
    return render(request, "feeds/allowed_hosts.html", {"form": form, "hosts": hosts})


@require_POST
@org_view(can_edit_settings)
def allowed_host_delete(request, pk):
    host = selectors.allowed_host_get(org=request.org, pk=pk)
    services.allowed_host_delete(org=request.org, host=host, by=request.user)
    messages.success(request, _("Address removed: feeds reaching it fail from their next run."))
    return redirect("allowed_host_list", slug=request.org.slug)
