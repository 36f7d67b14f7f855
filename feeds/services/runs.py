"""Runs of a feed (docs/feeds.md): queued by its schedule, "Run now" or a dry run, done by
the job `feeds.run_feed` in steps that each commit:

1. start: the run is marked running (a job that finds its run already running was
   interrupted - its worker died - and fails it: nothing of its import was committed);
2. read the source (no transaction held while the network is waited for); an error worth
   retrying (refused connection, timeout, 5xx) leaves the run "waiting to retry" and the
   job tries again after PERFHUB_FEED_RETRY_BASE_SECONDS × 2^(attempt − 1), at most
   PERFHUB_FEED_MAX_ATTEMPTS tries; any other error fails the run;
3. map and save the rows, and the run's result, in one transaction: all or nothing.

A failed run (not a dry run) counts against the feed; after `alert_after` failures in a
row its organization's admins get one e-mail each and the chat channels routed for it one
message (reviews.notifications), and the next success resets the count."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.models import Membership, NotificationKind, Role
from perfhub.celery import publish
from perfhub.tenancy import org_atomic
from reviews import notifications

from .. import sources
from ..models import DataFeed, FeedRun
from .rows import rows_apply

log = logging.getLogger(__name__)

RUN_TASK = "feeds.run_feed"  # feeds.tasks.run_feed: the queue's contract
State = FeedRun.State
UNFINISHED = (State.QUEUED, State.RUNNING, State.RETRYING)


@dataclass(frozen=True)
class Attempt:
    state: str
    retry_in: float | None = None


def run_request(*, org, feed: DataFeed, by, dry_run: bool = False, trigger: str) -> FeedRun:
    """Queue a run of the feed, published once the transaction commits. A real run asked
    for while another real run of the feed is unfinished is that run (no double import)."""
    if not dry_run:
        waiting = (
            FeedRun.objects.for_org(org)
            .filter(feed=feed, dry_run=False, state__in=UNFINISHED)
            .order_by("created_at")
            .first()
        )
        if waiting is not None:
            return waiting
    run = FeedRun.objects.create(
        organization=org, feed=feed, trigger=trigger, dry_run=dry_run, requested_by=by
    )
    transaction.on_commit(lambda: run_enqueue(org.pk, run.pk))
    return run


def run_enqueue(org_id: int, run_id: int) -> bool:
    """Publish the run's job by its name. Never raises: with the broker down the run stays
    queued and the sweeper publishes it again. Without REDIS_URL it runs here."""
    return publish(RUN_TASK, {"organization_id": org_id, "run_id": run_id})


def interrupted_message() -> str:
    return _(
        "The run stopped before it finished (the server running it was restarted). "
        "Nothing was saved: run the feed again."
    )


def _locked(org, run_id: int) -> FeedRun | None:
    return FeedRun.objects.for_org(org).select_for_update().filter(pk=run_id).first()


def run_attempt(*, org, run_id: int, can_retry: bool = True) -> Attempt:
    """One try at a run (the job's work). Idempotent: a finished run is left alone."""
    with org_atomic(org):
        run = _locked(org, run_id)
        if run is None or run.finished:
            return Attempt(run.state if run else "missing")
        with translation.override(org.language):
            if run.state == State.RUNNING:
                _fail(org, run, interrupted_message())
                return Attempt(State.FAILED)
        run.state, run.attempts = State.RUNNING, run.attempts + 1
        run.started_at = run.started_at or timezone.now()
        run.save(update_fields=["state", "attempts", "started_at"])
        feed = DataFeed.objects.for_org(org).get(pk=run.feed_id)
        config = sources.SourceConfig(
            org=org,
            kind=feed.kind,
            url=feed.url,
            password=feed.password,
            query=feed.query,
            file_format=feed.file_format,
        )
    with translation.override(org.language):
        try:
            try:
                table = _fetch(org, config)
            except sources.SourceUnavailable as exc:
                return _unavailable(org, run_id, exc.message, can_retry)
            except sources.SourceRefused as exc:
                with org_atomic(org):
                    run = _locked(org, run_id)
                    if run is not None and run.state == State.RUNNING:
                        _fail(org, run, exc.message)
                return Attempt(State.FAILED)
            return _import(org, run_id, feed, table)
        except Exception:
            log.exception("feed run %s of organization %s failed", run_id, org.pk)
            with org_atomic(org):
                run = _locked(org, run_id)
                if run is not None and not run.finished:
                    _fail(org, run, _("The run failed on the server. Nothing was saved."))
            return Attempt(State.FAILED)


def _fetch(org, config: sources.SourceConfig) -> sources.Table:
    # The allow-list is read under the organization in a short transaction of its own,
    # closed before the source is waited for; the run connects to the address checked.
    with org_atomic(org):
        target = sources.target_check(config)
    return sources.fetch(config, target)


def retry_delay(attempt: int) -> float:
    return float(settings.PERFHUB_FEED_RETRY_BASE_SECONDS) * 2 ** max(attempt - 1, 0)


def _unavailable(org, run_id: int, message: str, can_retry: bool) -> Attempt:
    with org_atomic(org):
        run = _locked(org, run_id)
        if run is None or run.state != State.RUNNING:
            return Attempt(run.state if run else "missing")
        if can_retry and run.attempts < settings.PERFHUB_FEED_MAX_ATTEMPTS:
            delay = retry_delay(run.attempts)
            run.state = State.RETRYING
            run.message = _("Try %(n)s of %(max)s failed: %(error)s It is tried again.") % {
                "n": run.attempts,
                "max": settings.PERFHUB_FEED_MAX_ATTEMPTS,
                "error": message,
            }
            run.save(update_fields=["state", "message"])
            return Attempt(State.RETRYING, retry_in=delay)
        _fail(
            org,
            run,
            ngettext(
                "%(error)s (after %(n)s try). Nothing was saved.",
                "%(error)s (after %(n)s tries). Nothing was saved.",
                run.attempts,
            )
            % {"error": message, "n": run.attempts},
        )
        return Attempt(State.FAILED)


def _import(org, run_id: int, feed: DataFeed, table: sources.Table) -> Attempt:
    with org_atomic(org):
        # Held until the import commits: the sweeper skips a run it cannot lock.
        run = _locked(org, run_id)
        if run is None or run.state != State.RUNNING:
            return Attempt(run.state if run else "missing")
        feed = DataFeed.objects.for_org(org).select_for_update().get(pk=feed.pk)
        applied = rows_apply(org=org, feed=feed, table=table, dry_run=run.dry_run)
        run.read, run.skipped = applied.read, len(applied.skipped_rows)
        run.skipped_rows = applied.skipped_rows[: settings.PERFHUB_FEED_CHANGES_SHOWN]
        if applied.problems:
            run.refused = applied.refused_rows
            count = run.refused
            _fail(
                org,
                run,
                ngettext(
                    "Nothing was saved: %(n)s row has problems (listed below).",
                    "Nothing was saved: %(n)s rows have problems (listed below).",
                    count,
                )
                % {"n": count}
                if count and applied.problems[0]["row"]
                else _("Nothing was saved: the source does not fit the feed's columns."),
                problems=applied.problems[:1000],
            )
            return Attempt(State.FAILED)
        run.created, run.changed, run.unchanged = (
            applied.created,
            applied.changed,
            applied.unchanged,
        )
        run.changes = applied.changes
        run.message = _("Dry run: nothing was saved.") if run.dry_run else ""
        _finish(run, State.DONE)
        if not run.dry_run:
            feed.consecutive_failures, feed.alerted_at = 0, None
            feed.last_success_at = run.finished_at
            feed.save(update_fields=["consecutive_failures", "alerted_at", "last_success_at"])
    return Attempt(State.DONE)


_RESULT_FIELDS = [
    "state",
    "message",
    "problems",
    "finished_at",
    "read",
    "created",
    "changed",
    "unchanged",
    "skipped",
    "refused",
    "skipped_rows",
    "changes",
]


def _finish(run: FeedRun, state: str) -> None:
    run.state, run.finished_at = state, timezone.now()
    run.save(update_fields=_RESULT_FIELDS)


def _fail(org, run: FeedRun, message: str, problems=None) -> None:
    """Fail the run (in the caller's transaction) and, for a real run, count it against
    its feed: the admins are told once when the count reaches the feed's alert level."""
    run.message, run.problems = message, problems or []
    run.created = run.changed = run.unchanged = 0
    run.changes = []
    _finish(run, State.FAILED)
    if run.dry_run:
        return
    feed = DataFeed.objects.for_org(org).select_for_update().get(pk=run.feed_id)
    feed.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if feed.consecutive_failures >= feed.alert_after and feed.alerted_at is None:
        feed.alerted_at = timezone.now()
        fields.append("alerted_at")
        _alert(org, feed, run)
    feed.save(update_fields=fields)


def _alert(org, feed: DataFeed, run: FeedRun) -> int:
    """Tell the organization's admins that the feed keeps failing, once per streak (the
    feed's `alerted_at`, saved in the same transaction, names the streak): an e-mail to
    each admin who has not turned this kind off, in their language, and a message on the
    chat channels (DingTalk, WeCom, Feishu) routed for it. Returns the e-mails sent."""
    url = settings.SITE_URL.rstrip("/") + reverse(
        "feed_detail", kwargs={"slug": org.slug, "pk": feed.pk}
    )
    assert feed.alerted_at is not None
    key = f"feed:{feed.pk}:{feed.alerted_at:%Y%m%dT%H%M%S.%f}"
    context = {"feed": feed, "run": run, "url": url}
    sent = 0
    admins = Membership.objects.for_org(org).filter(role=Role.ADMIN).select_related("user")
    for membership in admins.order_by("user_id"):
        sent += notifications.send_once(
            org=org,
            kind=NotificationKind.FEED_FAILING,
            user=membership.user,
            keys=[key],
            template="feeds/email/feed_failing.txt",
            context=context,
        )
    notifications.announce(
        org=org,
        kind=NotificationKind.FEED_FAILING,
        key=key,
        template="feeds/chat/feed_failing.txt",
        context=context,
    )
    return sent


def runs_sweep(*, org, now: dt.datetime | None = None) -> dict[str, int]:
    """The organization's unfinished runs: one running for longer than
    PERFHUB_FEED_STALE_SECONDS lost its worker and is failed; one queued (or waiting to
    retry) for that long was never (re)published - broker down - and is published again."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.PERFHUB_FEED_STALE_SECONDS)
    failed, republished = 0, []
    with org_atomic(org), translation.override(org.language):
        for run in (
            FeedRun.objects.for_org(org)
            .select_for_update(skip_locked=True)  # a run importing holds its row
            .filter(state__in=UNFINISHED)
        ):
            if run.state == State.RUNNING and run.started_at and run.started_at < stale:
                _fail(org, run, interrupted_message())
                failed += 1
            elif run.state != State.RUNNING and (run.started_at or run.created_at) < stale:
                republished.append(run.pk)
    for run_id in republished:
        run_enqueue(org.pk, run_id)
    return {"failed": failed, "republished": len(republished)}
