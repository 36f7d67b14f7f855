"""Background jobs of the briefing books. Thin: ids in, services out.

- `briefings.render_briefing`: one book, published when it is asked for
  (services.briefing_request). Acknowledged late and re-queued when its worker dies; the
  redelivered job renders again (services.briefing_run). A failure is recorded on the row
  with its message, which the page shows; no automatic retry (the person asks again).
- `briefings.send_scheduled` (beat, every morning): one `briefings.send_scheduled_org` per
  organization; each sends its month's book to the executives when it is due
  (services.scheduled_send: once per executive and month).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from departments.jobs import OrgTask
from departments.models import Organization

from . import services


@shared_task(
    base=OrgTask,
    bind=True,
    name=services.RENDER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    # Steps that each commit (running, then the PDF or the failure): the page shows them.
    one_transaction=False,
)
def render_briefing(self, org, briefing_id: int) -> str:
    """Render the book and record the PDF, or the failure with its message, on the row."""
    return services.briefing_run(org=org, briefing_id=briefing_id)


@shared_task(
    base=OrgTask,
    name="briefings.send_scheduled_org",
    acks_late=True,
    one_transaction=False,
)
def send_scheduled_org(org, today: str | None = None) -> int:
    """One organization's scheduled book of the day (idempotent: sent once per executive)."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.scheduled_send(org=org, today=day)


@shared_task(name="briefings.send_scheduled", acks_late=True)
def send_scheduled() -> int:
    """Every morning: enqueue each organization's scheduled book (each job runs scoped to
    one organization and does nothing unless its schedule is on and a book is due)."""
    count = 0
    for org_id in Organization.objects.values_list("pk", flat=True):
        send_scheduled_org.apply_async(kwargs={"organization_id": org_id})
        count += 1
    return count
