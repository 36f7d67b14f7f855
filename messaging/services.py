"""Every write of the message channels: a channel's settings, the routes, a message
announced to the channels (`announce`, what the notification senders call), a test
message, and one attempt to deliver a message (`delivery_attempt`, what the job calls)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.models import ROUTABLE_KINDS, Department, MemberIdentity
from perfhub.celery import publish
from perfhub.tenancy import org_atomic

from . import platforms
from .models import Channel, ChannelKind, Delivery, DeliveryStatus, Route

log = logging.getLogger(__name__)
DELIVER_TASK = "messaging.deliver"
ROBOTS = {ChannelKind.DINGTALK, ChannelKind.WECOM, ChannelKind.FEISHU}


# --- Channels -------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 else host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def webhook_check(kind: str, url: str) -> str:
    """The webhook address if it is an https address on the platform's host (or one of
    PERFHUB_CHANNEL_EXTRA_HOSTS), else ValidationError naming the field."""
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationError({"webhook_url": [_("Enter the robot's full address.")]}) from None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port out of range
        raise ValidationError({"webhook_url": [_("Enter the robot's full address.")]}) from None
    host = (parts.hostname or "").lower()
    netloc = host + (f":{port}" if port else "")
    extra = {h.lower() for h in settings.PERFHUB_CHANNEL_EXTRA_HOSTS}
    allowed = set(settings.PERFHUB_CHANNEL_HOSTS.get(kind, []))
    if netloc in extra or host in extra:
        if parts.scheme != "https" and not _loopback(netloc):
            raise ValidationError({"webhook_url": [_("The address must start with https://.")]})
        return url
    if parts.scheme != "https":
        raise ValidationError({"webhook_url": [_("The address must start with https://.")]})
    if host not in allowed or port not in (None, 443) or parts.username:
        raise ValidationError(
            {
                "webhook_url": [
                    _("This is not a %(platform)s address: it must be on %(hosts)s.")
                    % {"platform": ChannelKind(kind).label, "hosts": ", ".join(sorted(allowed))}
                ]
            }
        )
    return url


def _hint(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path
    if "/hook/" in path:  # Feishu: the path's last part is the token
        path = path.rsplit("/", 1)[0] + "/…"
    return f"{parts.scheme}://{parts.netloc}{path}"[:120]


@dataclass
class ChannelInput:
    kind: str
    name: str
    webhook_url: str = ""  # blank when editing: keep the current one
    secret: str = ""  # blank: keep the current one
    clear_secret: bool = False
    email: str = ""
    department: Department | None = None
    is_active: bool = True


@transaction.atomic
def channel_save(*, org, data: ChannelInput, channel: Channel | None = None, by) -> Channel:
    """Create or change a channel. Secrets are write-only: a blank webhook address or secret
    keeps the stored one (set or replace, never shown back). A WeCom address holding its
    `key` has the key moved into the secret."""
    if data.kind not in ChannelKind.values:
        raise ValidationError({"kind": [_("Choose a platform.")]})
    if channel is None:
        channel = Channel(organization=org)
    elif channel.kind != data.kind and not data.webhook_url:
        raise ValidationError({"webhook_url": [_("Enter the new platform's robot address too.")]})
    if data.department is not None and data.department.organization_id != org.pk:
        raise ValidationError({"department": [_("Unknown department.")]})
    channel.kind, channel.name = data.kind, data.name.strip()
    channel.department, channel.is_active = data.department, data.is_active
    secret = data.secret.strip()
    if data.kind == ChannelKind.EMAIL:
        channel.webhook_url = channel.webhook_hint = channel.secret = ""
        channel.email = data.email.strip()
        if not channel.email:
            raise ValidationError({"email": [_("Enter the address messages go to.")]})
    else:
        channel.email = ""
        if data.webhook_url:
            url = webhook_check(data.kind, data.webhook_url)
            if data.kind == ChannelKind.WECOM:
                parts = urlsplit(url)
                query = parse_qsl(parts.query)
                key = dict(query).get("key", "")
                secret = secret or key
                url = urlunsplit(
                    parts._replace(query=urlencode([q for q in query if q[0] != "key"]))
                )
            channel.webhook_url, channel.webhook_hint = url, _hint(url)
        elif not channel.webhook_url:
            raise ValidationError({"webhook_url": [_("Enter the robot's full address.")]})
        if secret:
            channel.secret = secret
        elif data.clear_secret:
            channel.secret = ""
        if data.kind == ChannelKind.WECOM and not channel.secret:
            raise ValidationError(
                {"secret": [_("Enter the robot's key (the key=… part of its address).")]}
            )
    channel.full_clean(exclude=["organization"])
    try:
        with transaction.atomic():
            channel.save()
    except IntegrityError:
        raise ValidationError({"name": [_("Another channel has this name.")]}) from None
    return channel


@transaction.atomic
def channel_delete(*, org, channel: Channel, by) -> None:
    """Delete a channel with its routes and its deliveries' record."""
    Channel.objects.for_org(org).filter(pk=channel.pk).delete()


@transaction.atomic
def routes_save(*, org, pairs: Iterable[tuple[str, int]], by) -> int:
    """Replace the routes by `pairs` of (notification kind, channel id). Unknown kinds or
    channels are refused naming them; returns the number of routes."""
    pairs = set(pairs)
    channels = set(Channel.objects.for_org(org).values_list("pk", flat=True))
    for kind, channel_id in pairs:
        if kind not in dict(ROUTABLE_KINDS):
            raise ValidationError({"routes": [_("Unknown notification: %s.") % kind]})
        if channel_id not in channels:
            raise ValidationError({"routes": [_("Unknown channel: %s.") % channel_id]})
    Route.objects.for_org(org).delete()
    Route.objects.bulk_create(
        [Route(organization=org, kind=k, channel_id=c) for k, c in sorted(pairs)]
    )
    return len(pairs)


# --- Messages -------------------------------------------------------------------------


def deliveries_publish(org_id: int, delivery_ids: list[int]) -> None:
    """After commit: one job per message. A broker that is down is logged; the rows stay
    queued and messaging.resend_pending publishes them again."""
    for delivery_id in delivery_ids:
        publish(DELIVER_TASK, {"organization_id": org_id, "delivery_id": delivery_id})


def publish_after_commit(org, deliveries: list[Delivery]) -> None:
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: deliveries_publish(org.pk, ids))


def _mentions(org, channel: Channel, user_ids: Iterable[int], identities) -> list[str]:
    if channel.kind not in ROBOTS:
        return []
    return sorted(
        {i.uid for i in identities if i.provider == channel.kind and i.user_id in set(user_ids)}
    )


def announce(
    *,
    org,
    kind: str,
    event_key: str,
    build: Callable[[], platforms.Message],
    department_id: int | None = None,
    org_wide: bool = True,
    mention_user_ids: Iterable[int] = (),
) -> list[Delivery]:
    """Queue a message about one event on every active channel routed for `kind`: the
    organization-wide ones (unless `org_wide` is false) and, when the event concerns a
    department, that department's own channels. `build` renders the message; it is called
    in the organization's language, once, only when some channel still has to get it. A
    channel that already has a Delivery for `event_key` gets nothing (never twice). Jobs
    are published after commit. Returns the new deliveries."""
    channels = [
        r.channel
        for r in Route.objects.for_org(org)
        .filter(kind=kind, channel__is_active=True)
        .select_related("channel")
        .order_by("channel__name")
        if (r.channel.department_id is None and org_wide)
        or (department_id is not None and r.channel.department_id == department_id)
    ]
    if not channels:
        return []
    done = set(
        Delivery.objects.for_org(org)
        .filter(event_key=event_key, channel__in=channels)
        .values_list("channel_id", flat=True)
    )
    channels = [c for c in channels if c.pk not in done]
    if not channels:
        return []
    with translation.override(org.language):
        message = build()
    user_ids = list(mention_user_ids)
    identities = (
        list(MemberIdentity.objects.for_org(org).filter(user_id__in=user_ids)) if user_ids else []
    )
    created = []
    for channel in channels:
        with transaction.atomic():
            delivery, new = Delivery.objects.get_or_create(
                organization=org,
                channel=channel,
                event_key=event_key[:200],
                defaults={
                    "kind": kind,
                    "title": message.title[:200],
                    "text": message.text,
                    "url": message.url[:500],
                    "mentions": _mentions(org, channel, user_ids, identities),
                },
            )
        if new:
            created.append(delivery)
    publish_after_commit(org, created)
    return created


@transaction.atomic
def channel_test(*, org, channel: Channel, by, url: str) -> Delivery:
    """Queue a test message to the channel now (each click is its own event)."""
    with translation.override(org.language):
        delivery = Delivery.objects.create(
            organization=org,
            channel=channel,
            kind="",
            event_key=f"test:{by.pk}:{time.time_ns()}",
            title=_("PerfHub test message"),
            text=_(
                "This channel of %(org)s works: PerfHub's reminders and alerts will arrive here."
            )
            % {"org": org.name},
            url=url[:500],
        )
    publish_after_commit(org, [delivery])
    return delivery


# --- Delivering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    status: str
    retry_in: float | None = None  # seconds until the next try; None: no retry


def _post(channel: Channel, delivery: Delivery, link_label: str) -> platforms.Outcome:
    message = platforms.Message(
        title=delivery.title,
        text=delivery.text,
        url=delivery.url,
        link_label=link_label,
        mentions=tuple(delivery.mentions or ()),
    )
    if channel.kind == ChannelKind.EMAIL:
        try:
            send_mail(delivery.title, f"{delivery.text}\n\n{delivery.url}\n", None, [channel.email])
        except Exception as exc:  # noqa: BLE001 - recorded on the delivery, retried
            return platforms.Outcome(False, retry=True, error=f"{type(exc).__name__}: {exc}")
        return platforms.Outcome(True)
    url, body = platforms.build_request(
        channel.kind, channel.webhook_url, channel.secret, message, time.time()
    )
    timeout = settings.PERFHUB_CHANNEL_TIMEOUT_SECONDS
    try:
        response = requests.post(url, json=body, timeout=(min(timeout, 5.0), timeout))
    except requests.RequestException as exc:
        return platforms.Outcome(False, retry=True, error=f"{type(exc).__name__}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return platforms.interpret(channel.kind, response.status_code, answer)


def delivery_attempt(*, org, delivery_id: int, can_retry: bool = True) -> Attempt:
    """One try at sending a queued message, in three steps: claim it (its attempt counted
    and marked "sending", committed), post it (no transaction open), record the answer.
    A message found "sending" was cut off mid-send by a dead worker: it may have arrived,
    so it is marked failed, never sent again. Network errors and rate limits are retried
    up to PERFHUB_CHANNEL_MAX_ATTEMPTS with a doubling wait."""
    with org_atomic(org):
        delivery = Delivery.objects.for_org(org).select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
            return Attempt(delivery.status if delivery else "gone")
        if delivery.status == DeliveryStatus.SENDING:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "interrupted while sending; not sent again"
            delivery.save(update_fields=["status", "last_error"])
            return Attempt(delivery.status)
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.save(update_fields=["status", "attempts"])
        channel = Channel.objects.for_org(org).get(pk=delivery.channel_id)
    with translation.override(org.language):
        label = _("Open in PerfHub")
    outcome = _post(channel, delivery, label)
    retry_in = None
    if outcome.ok:
        status = DeliveryStatus.SENT
    elif can_retry and outcome.retry and delivery.attempts < settings.PERFHUB_CHANNEL_MAX_ATTEMPTS:
        status = DeliveryStatus.QUEUED
        retry_in = settings.PERFHUB_CHANNEL_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
    else:
        status = DeliveryStatus.FAILED
    with org_atomic(org):
        Delivery.objects.for_org(org).filter(pk=delivery_id).update(
            status=status,
            last_error=outcome.error[:2000],
            sent_at=timezone.now() if outcome.ok else None,
        )
    if not outcome.ok:
        log.warning("channel message %s: %s (%s)", delivery_id, outcome.error, status)
    return Attempt(status, retry_in)


def deliveries_pending(*, org, older_than_seconds: float) -> list[int]:
    """Queued messages whose job was lost (published while the broker was down)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    return list(
        Delivery.objects.for_org(org)
        .filter(status=DeliveryStatus.QUEUED, attempts=0, created_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
