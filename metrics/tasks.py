"""Background jobs of the metrics app: large uploads of actuals (metrics.services.uploads).

- `metrics.import_upload`: one upload, published when it is created. Acknowledged late and
  re-queued when its worker dies; the redelivered job finds the upload running and fails
  it (nothing of the interrupted import was committed).
- `metrics.sweep_uploads` (beat, every minute): fails uploads running for longer than
  PERFHUB_UPLOAD_STALE_SECONDS and publishes again those still queued after that long.
"""

from __future__ import annotations

from celery import shared_task

from departments.jobs import OrgTask
from departments.models import Organization

from .selectors import unfinished_upload_organization_ids
from .services.uploads import IMPORT_TASK, upload_run, uploads_sweep


@shared_task(
    base=OrgTask,
    bind=True,
    name=IMPORT_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    # No retries: a failed import is recorded on the upload, which the user sees.
    # Steps that each commit (started, read, imported): the page shows the progress.
    one_transaction=False,
)
def import_upload(self, org, upload_id: int) -> str:
    """Import the upload's rows, all or nothing, and record the result on the upload."""
    return upload_run(org=org, upload_id=upload_id)


@shared_task(name="metrics.sweep_uploads", acks_late=True)
def sweep_uploads() -> dict[str, int]:
    """Sweep every organization with an unfinished upload, each alone (its ids are the one
    cross-tenant read, metrics.selectors.unfinished_upload_organization_ids)."""
    totals = {"failed": 0, "republished": 0}
    for org in Organization.objects.filter(pk__in=unfinished_upload_organization_ids()):
        for key, n in uploads_sweep(org=org).items():
            totals[key] += n
    return totals
