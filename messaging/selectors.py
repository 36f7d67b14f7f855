"""Reads of the message channels."""

from __future__ import annotations

from django.db.models import QuerySet

from perfhub import tenancy

from .models import Channel, Delivery, Route


def channel_list(*, org) -> QuerySet[Channel]:
    """The organization's channels with their department, by name."""
    return Channel.objects.for_org(org).select_related("department").order_by("name")


def channel_get(*, org, pk) -> Channel:
    return tenancy.get_or_404(channel_list(org=org), pk)


def route_pairs(*, org) -> set[tuple[str, int]]:
    """The routes as (notification kind, channel id)."""
    return set(Route.objects.for_org(org).values_list("kind", "channel_id"))


def delivery_list(*, org, channel_id: int | None = None) -> QuerySet[Delivery]:
    """Messages sent or tried, newest first."""
    qs = Delivery.objects.for_org(org).select_related("channel")
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    return qs.order_by("-created_at", "-pk")
