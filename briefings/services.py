"""Writes of briefing books (issue 17): asking for one, rendering it (the job's work), the
organization's schedule and the scheduled e-mail to the executives.

The schedule's rule, written once here (docs/briefings.md): a month is *closed* once its
end date has passed, locked or not - the schedule follows the calendar, and the working
day N (1-10) is how long HR gives the managers to finish their entries. Its book is sent on
the Nth working day (Monday to Friday; public holidays are not known) after the month's
last day. A day the beat missed (server down) is caught up within CATCH_UP_DAYS calendar
days after that day; later, the month is left unsent rather than mailed out of the blue
(for instance when the schedule is switched on in the middle of a month). Each executive
gets each month's book once (reviews.notifications.send_once: a Notification row per
executive and month, written with the send)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.models import Language, Membership, NotificationKind, Role
from departments.permissions import can_configure, can_view_all
from metrics.models import Period, PeriodKind
from perfhub.celery import publish
from perfhub.tenancy import org_atomic
from reviews.models import Notification
from reviews.notifications import announce, link, send_once

from .models import Briefing, BriefingSchedule

log = logging.getLogger(__name__)

RENDER_TASK = "briefings.render_briefing"  # briefings.tasks.render_briefing
CATCH_UP_DAYS = 7
State = Briefing.State

# Who may ask for and read books (admin, HR, executives), who sets the schedule (admin, HR).
can_request_briefings = can_view_all
can_schedule_briefings = can_configure


def _language(language: str) -> str:
    if language not in Language.values:
        raise ValidationError(
            {
                "language": [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(Language.values)}
                ]
            }
        )
    return language


def briefing_request(*, org, period: Period, language: str, by) -> Briefing:
    """Ask for the book of `period` in `language`: the row is made at once (queued) and the
    job is published once the transaction commits (run here when there is no broker)."""
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    briefing = Briefing(
        organization=org, period=period, language=_language(language), requested_by=by
    )
    briefing.full_clean(exclude=["pdf"])
    with transaction.atomic():
        briefing.save()
        transaction.on_commit(lambda: briefing_enqueue(org.pk, briefing.pk))
    return briefing


def briefing_enqueue(org_id: int, briefing_id: int) -> bool:
    """Publish the rendering by its name (perfhub.celery.publish). Never raises: with the
    broker down the book stays queued and can be asked for again. Without REDIS_URL it
    runs here."""
    from . import tasks  # noqa: F401 - registers the task where the web process runs it

    return publish(RENDER_TASK, {"organization_id": org_id, "briefing_id": briefing_id})


def _render(*, org, period, language: str) -> bytes:
    from .render import render_pdf  # WeasyPrint loads pango: only in the job

    return render_pdf(org=org, period=period, language=language)


def briefing_run(*, org, briefing_id: int) -> str:
    """Render a book (the job's work) and record the result on its row: the PDF, or the
    failure with its message. Idempotent: a finished book is left alone; one found running
    was interrupted (its worker died) and is rendered again. Returns the state it ends in."""
    with org_atomic(org):
        briefing = (
            Briefing.objects.for_org(org)
            .select_for_update()
            .select_related("period")
            .filter(pk=briefing_id)
            .first()
        )
        if briefing is None or briefing.finished:
            return briefing.state if briefing else "missing"
        briefing.state = State.RUNNING
        briefing.save(update_fields=["state"])
    try:
        with org_atomic(org):
            pdf = _render(org=org, period=briefing.period, language=briefing.language)
    except Exception as exc:
        log.exception("briefing %s of organization %s failed", briefing.pk, org.pk)
        with translation.override(briefing.language):
            message = _("The book could not be made: %(error)s") % {
                "error": f"{exc.__class__.__name__}: {exc}"
            }
        with org_atomic(org):
            Briefing.objects.for_org(org).filter(pk=briefing.pk).update(
                state=State.FAILED, error=message[:2000], finished_at=timezone.now()
            )
        return State.FAILED
    with org_atomic(org):
        Briefing.objects.for_org(org).filter(pk=briefing.pk).update(
            state=State.DONE, pdf=pdf, error="", finished_at=timezone.now()
        )
    return State.DONE


@transaction.atomic
def schedule_save(
    *, org, membership, enabled: bool, working_day_after_close: int, language: str
) -> BriefingSchedule:
    """Set the organization's schedule (admin, HR). Audited (pghistory)."""
    if not can_schedule_briefings(membership):
        raise PermissionDenied
    schedule = BriefingSchedule.objects.for_org(org).select_for_update().first()
    if schedule is None:
        schedule = BriefingSchedule(organization=org)
    schedule.enabled = bool(enabled)
    schedule.working_day_after_close = working_day_after_close
    schedule.language = _language(language)
    schedule.full_clean()
    schedule.save()
    return schedule


def working_day_after(day: dt.date, n: int) -> dt.date:
    """The nth working day (Monday to Friday) after `day` (n ≥ 1)."""
    count = 0
    while count < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return day


def due_period(*, org, schedule: BriefingSchedule, today: dt.date) -> Period | None:
    """The month whose book is due `today`: the latest month that has ended, when today is
    its Nth working day after the end or at most CATCH_UP_DAYS later; else None."""
    month = (
        Period.objects.for_org(org)
        .filter(kind=PeriodKind.MONTH, end__lt=today)
        .order_by("-end")
        .first()
    )
    if month is None:
        return None
    due = working_day_after(month.end, schedule.working_day_after_close)
    if not due <= today <= due + dt.timedelta(days=CATCH_UP_DAYS):
        return None
    return month


def _key(period: Period) -> str:
    return f"period:{period.pk}"


def scheduled_send(*, org, today: dt.date | None = None) -> int:
    """The schedule's daily run for one organization: when a month's book is due (see the
    module's rule), render it once (kept as a scheduled Briefing) and e-mail it with the
    PDF attached to each executive who has not had it. Returns the number of e-mails sent."""
    today = today or timezone.localdate()
    with org_atomic(org):
        schedule = BriefingSchedule.objects.for_org(org).first()
        if schedule is None or not schedule.enabled:
            return 0
        period = due_period(org=org, schedule=schedule, today=today)
        if period is None:
            return 0
        executives = [
            m.user
            for m in Membership.objects.for_org(org)
            .filter(role=Role.EXECUTIVE, is_active=True)
            .select_related("user")
            .order_by("user__username")
        ]
        done = set(
            Notification.objects.for_org(org)
            .filter(kind=NotificationKind.BRIEFING, key=_key(period))
            .values_list("user_id", flat=True)
        )
        waiting = [u for u in executives if u.email and u.pk not in done]
        if not waiting:
            return 0
        briefing = (
            Briefing.objects.for_org(org)
            .filter(period=period, language=schedule.language, scheduled=True, state=State.DONE)
            .select_related("period")
            .order_by("-created_at")
            .first()
        )
        if briefing is None:
            briefing = Briefing.objects.create(
                organization=org, period=period, language=schedule.language, scheduled=True
            )
    if briefing.state != State.DONE:
        # Rendered here: this is already the organization's job, in a worker.
        if briefing_run(org=org, briefing_id=briefing.pk) != State.DONE:
            return 0  # recorded on the row; tomorrow's run tries again within the window
        with org_atomic(org):
            briefing = Briefing.objects.for_org(org).select_related("period").get(pk=briefing.pk)
    sent = 0
    with org_atomic(org):
        for user in waiting:
            sent += send_once(
                org=org,
                kind=NotificationKind.BRIEFING,
                user=user,
                keys=[_key(period)],
                template="briefings/email/briefing.txt",
                context={"period": period, "url": link(org, "briefing_list")},
                attachments=((briefing.file_name, bytes(briefing.pdf), "application/pdf"),),
            )
        announce(
            org=org,
            kind=NotificationKind.BRIEFING,
            key=f"briefing:{_key(period)}",
            template="briefings/chat/briefing.txt",
            context={"period": period, "url": link(org, "briefing_list")},
        )
    return sent
