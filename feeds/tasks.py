"""Jobs of the data feeds (docs/feeds.md).

- `feeds.run_feed` (published after the commit that queued a run): one try at a run;
  a source that is down, slow or answering 5xx is tried again with a doubling wait
  (PERFHUB_FEED_RETRY_BASE_SECONDS, PERFHUB_FEED_MAX_ATTEMPTS). Acknowledged late and
  re-queued when its worker dies; the redelivered job finds the run running and fails it
  (nothing of the interrupted import was committed).
- `feeds.run_scheduled` (django-celery-beat, one PeriodicTask per scheduled feed):
  queues a run of the feed, unless it is disabled or a run of it is unfinished.
- `feeds.sweep_runs` (beat, every minute): fails runs whose worker died without a
  redelivery and publishes again those whose publish was lost.
"""

from __future__ import annotations

from celery import shared_task

from departments.jobs import OrgTask
from departments.models import Organization
from perfhub.tenancy import org_atomic

from .models import DataFeed, FeedRun
from .selectors import unfinished_run_organization_ids
from .services.runs import RUN_TASK, run_attempt, run_request, runs_sweep


@shared_task(
    base=OrgTask,
    bind=True,
    name=RUN_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    one_transaction=False,  # steps that each commit: started, read, imported
)
def run_feed(self, org, run_id: int) -> str:
    """Run the feed once; retried later when its source is unavailable."""
    # In process (no broker: `make run`) a retry would hold the request: one try only.
    attempt = run_attempt(org=org, run_id=run_id, can_retry=not self.request.is_eager)
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in, max_retries=None)
    return attempt.state


@shared_task(base=OrgTask, name="feeds.run_scheduled", acks_late=True, one_transaction=False)
def run_scheduled(org, feed_id: int) -> int | None:
    """Queue the scheduled run of a feed (beat's job)."""
    with org_atomic(org):
        feed = DataFeed.objects.for_org(org).filter(pk=feed_id, is_enabled=True).first()
        if feed is None:
            return None
        run = run_request(org=org, feed=feed, by=None, trigger=FeedRun.Trigger.SCHEDULE)
    return run.pk


@shared_task(name="feeds.sweep_runs", acks_late=True)
def sweep_runs() -> dict[str, int]:
    """Sweep every organization with an unfinished run, each alone."""
    totals = {"failed": 0, "republished": 0}
    for org in Organization.objects.filter(pk__in=unfinished_run_organization_ids()):
        for key, n in runs_sweep(org=org).items():
            totals[key] += n
    return totals
