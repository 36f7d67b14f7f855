"""Background jobs of the reviews app: the daily notifications (SPEC §7). Thin: ids in,
services out.

- `reviews.daily_notifications` (beat, every morning): one `reviews.org_notifications` per
  organization - entry reminders, overdue notices, HR's summary, and (once a week) the
  reviews waiting for approval, the reminders of actions due soon or overdue to their
  owners, the confirmers' digest of the values awaiting their confirmation, and any
  review-step notice a failed send left out (each move of a review is told to the next
  step's holders as it is made). Red-KPI alerts
  follow each recalculation (sent on scorecards.signals.recalculated, see apps.py). Every
  email is sent once (reviews.notifications).

The recalculation jobs are in scorecards.tasks.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from departments.jobs import OrgTask
from departments.models import Organization

from . import notifications


@shared_task(base=OrgTask, name="reviews.org_notifications", acks_late=True)
def org_notifications(org, today: str | None = None) -> int:
    """One organization's reminders of the day (idempotent: a rerun sends nothing twice)."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return (
        notifications.entry_reminders(org=org, today=day)
        + notifications.reviews_waiting(org=org, today=day)
        + notifications.action_reminders(org=org, today=day)
        + notifications.reviews_steps_pending(org=org)
        + notifications.values_to_confirm(org=org, today=day)
    )


@shared_task(name="reviews.daily_notifications", acks_late=True)
def daily_notifications() -> int:
    """Every morning: enqueue each organization's reminders (each job runs scoped to one)."""
    count = 0
    for org_id in Organization.objects.values_list("pk", flat=True):
        org_notifications.apply_async(kwargs={"organization_id": org_id})
        count += 1
    return count
