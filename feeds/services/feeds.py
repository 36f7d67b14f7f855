"""Writes of the feed set-up: the allow-list, the feeds and their beat schedules.

A feed's address and password are write-only: a blank one keeps what is stored. Saving a
feed checks its address against the allow-list (the run checks it again: the list may
change after), its query (one SELECT) and its schedule, and creates, changes or removes its
django-celery-beat PeriodicTask in the same transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .. import network, sources
from ..models import AllowedHost, DataFeed, FeedKind

SCHEDULED_TASK = "feeds.run_scheduled"  # feeds.tasks.run_scheduled: beat's contract
MAX_ALERT_AFTER = 100


# --- the allow-list ------------------------------------------------------------------------


@transaction.atomic
def allowed_host_add(
    *, org, address: str, port: int | None = None, note: str = "", by
) -> AllowedHost:
    """Allow feeds to reach an address (host name, IP or network; a port or any)."""
    try:
        name, net = network.entry_parse(address)
    except ValueError as exc:
        raise ValidationError({"address": [str(exc)]}) from None
    if port is not None and not 1 <= port <= 65535:
        raise ValidationError({"port": [_("A port is a number from 1 to 65535.")]})
    host = AllowedHost(
        organization=org, address=name or str(net), port=port, note=(note or "").strip()
    )
    host.full_clean(exclude=["organization"], validate_constraints=False)
    try:
        with transaction.atomic():
            host.save()
    except IntegrityError:
        raise ValidationError({"address": [_("This address is already allowed.")]}) from None
    return host


@transaction.atomic
def allowed_host_delete(*, org, host: AllowedHost, by) -> None:
    """Remove an address: feeds reaching it fail from their next run."""
    AllowedHost.objects.for_org(org).filter(pk=host.pk).delete()


# --- feeds -----------------------------------------------------------------------------------


@dataclass
class FeedInput:
    name: str
    kind: str
    department_column: str
    kpi_column: str
    period_column: str
    value_column: str
    url: str = ""  # blank: keep the stored one
    password: str = ""  # blank: keep the stored one
    clear_password: bool = False
    query: str = ""
    file_format: str = ""
    note_column: str = ""
    schedule: str = ""
    wins_over_people: bool = False
    is_enabled: bool = True
    alert_after: int = 3


def cron_parse(text: str) -> dict[str, str]:
    """The five fields of a cron schedule ("minute hour day month weekday"); ValueError
    with a message when it is not one."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            _("Write five fields: minute hour day-of-month month day-of-week, e.g. “0 6 * * *”.")
        )
    names = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week"]
    values = dict(zip(names, fields, strict=True))
    try:
        crontab(**values)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(_("This schedule cannot be read: %s") % exc) from None
    return values


def _check(org, feed: DataFeed, data: FeedInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in FeedKind.values:
        raise ValidationError({"kind": [_("Choose a kind of source.")]})
    url = data.url.strip() or feed.url
    if not url:
        errors["url"] = [_("Enter the source's address.")]
    elif data.url.strip() or feed.kind != data.kind:
        if not data.url.strip():
            errors["url"] = [_("Enter the address again: the kind of source changed.")]
        else:
            try:
                _parts, host, port = sources.url_parts(data.kind, url)
            except ValueError as exc:
                errors["url"] = [str(exc)]
            else:
                try:
                    network.address_validate(org=org, host=host, port=port, field="url")
                except ValidationError as exc:
                    errors.update(exc.message_dict)
    else:
        _parts, host, port = sources.url_parts(data.kind, url)
        try:
            network.address_validate(org=org, host=host, port=port, field="url")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if data.kind in (FeedKind.POSTGRES, FeedKind.MYSQL):
        if not data.query.strip():
            errors["query"] = [_("Enter the SQL query that reads the values.")]
        else:
            try:
                sources.query_check(data.query)
            except ValueError as exc:
                errors["query"] = [str(exc)]
    if data.schedule.strip():
        try:
            cron_parse(data.schedule)
        except ValueError as exc:
            errors["schedule"] = [str(exc)]
    if not 1 <= data.alert_after <= MAX_ALERT_AFTER:
        errors["alert_after"] = [_("Between 1 and %(n)s failed runs.") % {"n": MAX_ALERT_AFTER}]
    for name in ("department_column", "kpi_column", "period_column", "value_column"):
        if not getattr(data, name).strip():
            errors[name] = [_("Name the source's column.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def feed_save(*, org, data: FeedInput, feed: DataFeed | None = None, by) -> DataFeed:
    """Create or change a feed and its schedule. Secrets are write-only: a blank address or
    password keeps the stored one (`clear_password` removes it)."""
    if feed is None:
        feed = DataFeed(organization=org, created_by=by)
    _check(org, feed, data)
    feed.name, feed.kind = data.name.strip(), data.kind
    if data.url.strip():
        feed.url = data.url.strip()
        feed.url_hint = sources.url_hint(data.kind, feed.url)
    if data.password:
        feed.password = data.password
    elif data.clear_password:
        feed.password = ""
    sql = data.kind in (FeedKind.POSTGRES, FeedKind.MYSQL)
    feed.query = data.query.strip() if sql else ""
    feed.file_format = "" if sql else data.file_format
    for name in ("department_column", "kpi_column", "period_column", "value_column", "note_column"):
        setattr(feed, name, getattr(data, name).strip())
    feed.schedule = " ".join(data.schedule.split())
    feed.wins_over_people, feed.is_enabled = data.wins_over_people, data.is_enabled
    feed.alert_after = data.alert_after
    feed.full_clean(exclude=["organization", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError:
        raise ValidationError({"name": [_("Another feed has this name.")]}) from None
    schedule_sync(org=org, feed=feed)
    return feed


@transaction.atomic
def feed_delete(*, org, feed: DataFeed, by) -> None:
    """Delete a feed with its runs and its schedule (the values it saved stay)."""
    PeriodicTask.objects.filter(name=schedule_name(feed)).delete()
    DataFeed.objects.for_org(org).filter(pk=feed.pk).delete()


def schedule_name(feed: DataFeed) -> str:
    return f"feed:{feed.organization_id}:{feed.pk}"


def schedule_sync(*, org, feed: DataFeed) -> PeriodicTask | None:
    """The feed's beat entry, created, changed or deleted to match its schedule: beat
    publishes `feeds.run_scheduled` for the organization and feed at each time."""
    name = schedule_name(feed)
    if not feed.schedule:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    values = cron_parse(feed.schedule)
    crontab_row, _created = CrontabSchedule.objects.get_or_create(
        **values, timezone=settings.TIME_ZONE
    )
    task, _created = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": SCHEDULED_TASK,
            "crontab": crontab_row,
            "interval": None,
            "kwargs": json.dumps({"organization_id": org.pk, "feed_id": feed.pk}),
            "enabled": feed.is_enabled,
            "description": f"Data feed {feed.pk} of organization {org.pk}",
        },
    )
    return task
