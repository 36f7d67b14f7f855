"""Uploads of actuals too large to import within a request (SPEC §5): kept as an `Upload`
row with the file, imported by the job `metrics.import_upload`, swept by
`metrics.sweep_uploads`.

The result is the inline upload's (metrics.spreadsheets.import_rows): all or nothing,
every refused row listed with its row, column and reason. The import and the upload's
"done" are one transaction, so a job killed midway leaves nothing saved; the upload it
leaves "running" is failed by its redelivery (a job that finds its upload running was
interrupted) or, when no redelivery comes, by the sweeper after
PERFHUB_UPLOAD_STALE_SECONDS. An upload whose job was never published (broker down) is
published again by the sweeper."""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.selectors import membership_for
from perfhub.celery import publish
from perfhub.tenancy import org_atomic

from .. import spreadsheets
from ..models import Upload

log = logging.getLogger(__name__)

IMPORT_TASK = "metrics.import_upload"  # metrics.tasks.import_upload: the queue's contract
State = Upload.State


def upload_create(*, org, by, file_name: str, content: bytes, rows: int, language: str) -> Upload:
    """Keep the file of a large upload and ask for its import once the transaction commits.
    `rows` is the number of data rows the request already read (shown while it waits)."""
    upload = Upload(
        organization=org,
        file_name=file_name[:255],
        content=content,
        language=language,
        uploaded_by=by,
        rows=rows,
    )
    upload.full_clean(exclude=["content"])
    upload.save()
    transaction.on_commit(lambda: upload_enqueue(org.pk, upload.pk))
    return upload


def upload_enqueue(org_id: int, upload_id: int) -> bool:
    """Publish the import by its name. Never raises: with the broker down the upload stays
    queued and the sweeper publishes it again. Without REDIS_URL it runs here."""
    return publish(IMPORT_TASK, {"organization_id": org_id, "upload_id": upload_id})


def interrupted_message() -> str:
    return _(
        "The import stopped before it finished (the server running it was restarted). "
        "Nothing was saved: upload the file again."
    )


def upload_run(*, org, upload_id: int) -> str:
    """Import an upload (the job's work), in steps that each commit: start, read, then the
    import and its result in one transaction. Returns the state it ends in. Idempotent: a
    finished upload is left alone, and one found running was interrupted (its import's
    transaction died with its worker) and is failed."""
    with org_atomic(org):
        upload = Upload.objects.for_org(org).select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.finished:
            return upload.state if upload else "missing"
        if upload.state == State.RUNNING:
            _finish(upload, state=State.FAILED, message=_translated(upload, interrupted_message))
            return State.FAILED
        upload.state, upload.started_at, upload.progress = State.RUNNING, timezone.now(), 10
        upload.attempts += 1
        upload.save(update_fields=["state", "started_at", "progress", "attempts"])
    with translation.override(upload.language):
        try:
            return _import(org, upload)
        except Exception:
            log.exception("upload %s of organization %s failed", upload.pk, org.pk)
            with org_atomic(org):
                _finish(
                    upload,
                    state=State.FAILED,
                    message=_("The import failed on the server. Nothing was saved: try again."),
                )
            return State.FAILED


def _import(org, upload: Upload) -> str:
    try:
        rows = spreadsheets.read_rows(io.BytesIO(bytes(upload.content)), upload.file_name)
    except spreadsheets.SpreadsheetRefused as exc:
        with org_atomic(org):
            _finish(upload, state=State.FAILED, message=exc.message)
        return State.FAILED
    with org_atomic(org):
        upload.rows, upload.progress = len(rows), 40
        upload.save(update_fields=["rows", "progress"])
    with org_atomic(org):
        # Held until the import commits: the sweeper skips a row it cannot lock.
        if not (
            Upload.objects.for_org(org)
            .select_for_update()
            .filter(pk=upload.pk, state=State.RUNNING)
            .exists()
        ):
            return State.FAILED  # failed by the sweeper meanwhile
        membership = membership_for(user=upload.uploaded_by, slug=org.slug)
        if membership is None or upload.uploaded_by is None:
            _finish(
                upload,
                state=State.FAILED,
                message=_("The person who uploaded this file is no longer a member."),
            )
            return State.FAILED
        try:
            result = spreadsheets.import_rows(
                org=org, by=upload.uploaded_by, membership=membership, rows=rows
            )
        except spreadsheets.ImportRefused as exc:
            problem_rows = len({p.row for p in exc.rows})
            _finish(
                upload,
                state=State.FAILED,
                message=_("Nothing was saved: rows have problems (listed below)."),
                problems=[
                    {"row": p.row, "column": p.column, "message": p.message} for p in exc.rows
                ],
            )
            log.info("upload %s refused: %s rows with problems", upload.pk, problem_rows)
            return State.FAILED
        # The actuals and the upload's "done" commit together, or neither does.
        upload.created, upload.updated = result.created, result.updated
        upload.unchanged = result.unchanged
        _finish(upload, state=State.DONE)
    return State.DONE


def _finish(upload: Upload, *, state: str, message: str = "", problems=None) -> None:
    upload.state, upload.message, upload.problems = state, message, problems or []
    upload.progress, upload.finished_at, upload.content = 100, timezone.now(), b""
    upload.save(
        update_fields=[
            "state",
            "message",
            "problems",
            "progress",
            "finished_at",
            "content",
            "created",
            "updated",
            "unchanged",
        ]
    )


def _translated(upload: Upload, message) -> str:
    with translation.override(upload.language):
        return str(message())


def uploads_sweep(*, org, now: dt.datetime | None = None) -> dict[str, int]:
    """The organization's unfinished uploads: one running for longer than
    PERFHUB_UPLOAD_STALE_SECONDS lost its worker and is failed; one still queued after
    that long was never published (broker down) and is published again."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.PERFHUB_UPLOAD_STALE_SECONDS)
    failed, republished = 0, []
    with org_atomic(org):
        for upload in (
            Upload.objects.for_org(org)
            .select_for_update(skip_locked=True)  # a running import holds its row: skipped
            .filter(state__in=[State.QUEUED, State.RUNNING])
            .defer("content")
        ):
            if upload.state == State.RUNNING and upload.started_at and upload.started_at < stale:
                message = _translated(upload, interrupted_message)
                _finish(upload, state=State.FAILED, message=message)
                failed += 1
            elif upload.state == State.QUEUED and upload.created_at < stale:
                republished.append(upload.pk)
    for upload_id in republished:
        upload_enqueue(org.pk, upload_id)
    return {"failed": failed, "republished": len(republished)}
