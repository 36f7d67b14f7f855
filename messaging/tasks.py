"""Jobs of the message channels (docs/messaging.md).

- `messaging.deliver` (published after the commit that queued a message): one try at
  sending one message; network errors and the platforms' rate-limit answers are retried
  with a doubling wait (PERFHUB_CHANNEL_RETRY_BASE_SECONDS, PERFHUB_CHANNEL_MAX_ATTEMPTS).
- `messaging.resend_pending` (beat, every 5 minutes): messages queued but never tried
  (their publish was lost while the broker was down) are published again.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from departments.jobs import OrgTask
from departments.models import Organization
from perfhub.tenancy import org_atomic

from . import services


@shared_task(
    base=OrgTask,
    bind=True,
    name="messaging.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    one_transaction=False,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    max_retries=8,
)
def deliver(self, org, delivery_id: int) -> str:
    """Send one queued message (idempotent: a sent or failed one is left alone)."""
    # In process (no broker: `make run`) a retry would hold the request: one try only.
    attempt = services.delivery_attempt(
        org=org, delivery_id=delivery_id, can_retry=not self.request.is_eager
    )
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in, max_retries=None)
    return attempt.status


@shared_task(name="messaging.resend_pending", acks_late=True)
def resend_pending() -> int:
    """Publish again, per organization, the messages whose job never ran."""
    count = 0
    for org in Organization.objects.all():
        with org_atomic(org):
            ids = services.deliveries_pending(org=org, older_than_seconds=120)
        services.deliveries_publish(org.pk, ids)
        count += len(ids)
    return count
