"""The message channel pages (issue 18 §1): admins only. A channel's secrets are never
shown back; its page lists its recent messages with the platform's error."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.access import org_view
from departments.models import ROUTABLE_KINDS
from departments.permissions import can_edit_settings
from perfhub.errors import add_service_errors

from . import selectors, services
from .forms import ChannelForm

RECENT = 20


def _site_link(request, name: str, **kwargs) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        name, kwargs={"slug": request.org.slug, **kwargs}
    )


@org_view(can_edit_settings)
def channel_list(request):
    """The channels, the routes' summary and the latest messages of every channel."""
    org = request.org
    return render(
        request,
        "messaging/channel_list.html",
        {
            "channels": list(selectors.channel_list(org=org)),
            "deliveries": list(selectors.delivery_list(org=org)[:RECENT]),
        },
    )


def _channel_form_view(request, channel=None):
    form = ChannelForm(
        request.POST or None,
        org=request.org,
        initial=None
        if channel is None
        else {
            "kind": channel.kind,
            "name": channel.name,
            "email": channel.email,
            "department": channel.department_id,
            "is_active": channel.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.channel_save(
                org=request.org,
                channel=channel,
                by=request.user,
                data=services.ChannelInput(**form.cleaned_data),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("channel_edit", slug=request.org.slug, pk=saved.pk)
    deliveries = (
        list(selectors.delivery_list(org=request.org, channel_id=channel.pk)[:RECENT])
        if channel
        else []
    )
    return render(
        request,
        "messaging/channel_form.html",
        {"form": form, "channel": channel, "deliveries": deliveries},
    )


@org_view(can_edit_settings)
def channel_create(request):
    return _channel_form_view(request)


@org_view(can_edit_settings)
def channel_edit(request, pk):
    return _channel_form_view(request, selectors.channel_get(org=request.org, pk=pk))


@require_POST
@org_view(can_edit_settings)
def channel_test(request, pk):
    """Queue a test message to the channel; its result shows on the channel's page."""
    channel = selectors.channel_get(org=request.org, pk=pk)
    services.channel_test(
        org=request.org, channel=channel, by=request.user, url=_site_link(request, "org_home")
    )
    messages.success(request, _("Test message queued. Its result appears below in a few seconds."))
    return redirect("channel_edit", slug=request.org.slug, pk=channel.pk)


@require_POST
@org_view(can_edit_settings)
def channel_delete(request, pk):
    channel = selectors.channel_get(org=request.org, pk=pk)
    services.channel_delete(org=request.org, channel=channel, by=request.user)
    messages.success(request, _("Channel deleted."))
    return redirect("channel_list", slug=request.org.slug)


@org_view(can_edit_settings)
def channel_routes(request):
    """The matrix: each kind of notification × each channel (a checkbox each)."""
    org = request.org
    channels = list(selectors.channel_list(org=org))
    if request.method == "POST":
        pairs = []
        for kind, _label in ROUTABLE_KINDS:
            for channel in channels:
                if request.POST.get(f"route-{kind}-{channel.pk}"):
                    pairs.append((kind, channel.pk))
        try:
            services.routes_save(org=org, pairs=pairs, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Routes saved."))
            return redirect("channel_routes", slug=org.slug)
    routed = selectors.route_pairs(org=org)
    rows = [
        (
            kind,
            label,
            [
                (channel, f"route-{kind}-{channel.pk}", (kind, channel.pk) in routed)
                for channel in channels
            ],
        )
        for kind, label in ROUTABLE_KINDS
    ]
    return render(request, "messaging/routes.html", {"channels": channels, "rows": rows})
