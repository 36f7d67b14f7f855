"""HR's "remind" action (issue 16 §1, issue 18 §2): the managers of departments with values
of a period still missing are reminded now, by e-mail through the path of the daily
reminders (reviews.notifications.send_once, which writes the Notification row the manager's
home page shows) and on the message channels routed for the reminder's kind (each
department's own channel, and one summary on the organization's). A department without a
manager is reminded through the managers above it (and listed to HR as such); past the due
date by the organization's `escalate_after_days`, the managers above are reminded too. At
most once a day per period and department: a second click the same day sends nothing,
whoever clicks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import NotificationKind
from metrics import selectors as metric_selectors
from perfhub.names import display_name

from ..models import Notification
from ..notifications import announce, digest, escalates, link, send_once

REMINDER_KEY_PREFIX = "remind:"


def reminder_key(*, period, department, today: dt.date) -> str:
    """The Notification key of one day's reminder about a period for a department."""
    return f"{REMINDER_KEY_PREFIX}{period.pk}:{department.pk}:{today.isoformat()}"


@dataclass
class RemindResult:
    """What entry_remind did, per department (names for HR's message)."""

    reminded: list = field(default_factory=list)
    already: list = field(default_factory=list)  # reminded today already
    no_manager: list = field(default_factory=list)  # nobody above either
    escalated: list = field(default_factory=list)  # (department, the one above) reminded
    not_sent: list = field(default_factory=list)  # managers without address or muted


def entry_remind(
    *, org, period, by, department_ids=None, today: dt.date | None = None
) -> RemindResult:
    """Remind the managers of the departments (all, or those of `department_ids`) that
    still miss values of `period`. Locked periods take no entry, so no reminder."""
    today = today or timezone.localdate()
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    if period.is_locked:
        raise ValidationError(
            {
                "period": [
                    _("%(period)s is locked: nothing can be entered.") % {"period": period.label}
                ]
            }
        )
    report = metric_selectors.completeness(org=org, period=period, today=today)
    rows = [r for r in report["rows"] if r.missing]
    if department_ids is not None:
        rows = [r for r in rows if r.department.pk in department_ids]
    keys = {
        r.department.pk: reminder_key(period=period, department=r.department, today=today)
        for r in rows
    }
    sent_before = set(
        Notification.objects.for_org(org)
        .filter(key__in=keys.values())
        .values_list("key", flat=True)
    )
    kind = NotificationKind.ENTRY_OVERDUE if report["late"] else NotificationKind.ENTRY_DUE_SOON
    result = RemindResult()
    url = link(org, "my_entries") + f"?period={period.pk}"
    fresh = []
    for row in rows:
        department = row.department
        escalate = escalates(org, row, today=today, period=period)
        recipients = [*row.managers, *(row.escalation_managers if escalate else [])]
        if not recipients:
            result.no_manager.append(department)
            continue
        key = keys[department.pk]
        if key in sent_before:
            result.already.append(department)
            continue
        sent = [
            send_once(
                org=org,
                kind=kind,
                user=person,
                keys=[key],
                template="entry_reminder",
                context={"period": period, "rows": [row], "url": url, "by": by},
            )
            for person in dict.fromkeys(recipients)
        ]
        if escalate:
            result.escalated.append((department, row.escalation))
        announce(
            org=org,
            kind=kind,
            key=key,
            template="entry_department",
            context={"period": period, "row": row, "url": url},
            department=department,
            org_wide=False,
            mention=recipients,
        )
        fresh.append(row)
        (result.reminded if any(sent) else result.not_sent).append(department)
    if fresh:
        announce(
            org=org,
            kind=kind,
            key=f"{REMINDER_KEY_PREFIX}{period.pk}:{today.isoformat()}:"
            + digest(str(r.department.pk) for r in fresh),
            template="entry_remind",
            context={"period": period, "rows": fresh, "url": url, "by_name": display_name(by)},
        )
    return result
