"""Reminder and alert emails (SPEC §5, the reviews issue). Each is sent at most once per
kind, recipient and subject (a period, a KPI in a period, a week): the Notification row is
written in the same transaction as the send, so a rerun sends nothing twice and a failed
send is retried by the next run. Every email is rendered in its recipient's language (their
profile's, else the organization's), carries a link into the app, and respects the kinds
the recipient turned off in their profile. Called by the jobs in reviews.tasks."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import operator
from collections import defaultdict
from functools import reduce

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from departments.models import DepartmentManager, Membership, NotificationKind, Profile, Role
from messaging import services as channels
from messaging.platforms import Message
from metrics import selectors as metric_selectors
from metrics.models import Actual, Kpi, PeriodStatus, SignOff
from scorecards.models import ScorecardLine, Status
from scorecards.selectors.actions import action_list

from . import selectors
from .models import Notification, ReviewStatus, ReviewTransition, StepRole

log = logging.getLogger(__name__)
K = NotificationKind


def link(org, name: str, **kwargs) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"slug": org.slug, **kwargs})


def _profiles(users) -> dict[int, Profile]:
    return {p.user_id: p for p in Profile.objects.filter(user__in=[u.pk for u in users])}


def _language(org, profile: Profile | None) -> str:
    return (profile.language if profile and profile.language else None) or org.language


def send_once(
    *,
    org,
    kind: str,
    user,
    keys: list[str],
    template: str,
    context: dict,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> bool:
    """Send one email about `keys` (the subjects it covers) unless every one of them was
    already sent to the user, or the user turned this kind off or has no address.
    `template` names reviews/email/<template>.txt, or is a whole template name ending in
    .txt (another app's email); `attachments` are (file name, bytes, MIME type)."""
    if not user.email or not keys:
        return False
    profile = Profile.objects.filter(user=user).first()
    if profile is not None and not profile.wants(kind):
        return False
    now = timezone.now()
    try:
        with transaction.atomic():
            already = set(
                Notification.objects.for_org(org)
                .filter(kind=kind, user=user, key__in=keys)
                .values_list("key", flat=True)
            )
            fresh = [k for k in keys if k not in already]
            if not fresh:
                return False
            Notification.objects.bulk_create(
                [
                    Notification(organization=org, kind=kind, user=user, key=k, sent_at=now)
                    for k in fresh
                ],
                ignore_conflicts=True,
            )
            with translation.override(_language(org, profile)):
                name = template if template.endswith(".txt") else f"reviews/email/{template}.txt"
                text = render_to_string(name, {"org": org, "user": user, **context})
            subject, _sep, body = text.strip().partition("\n")
            if attachments:
                message = EmailMessage(subject.strip(), body.strip() + "\n", None, [user.email])
                for file_name, content, mimetype in attachments:
                    message.attach(file_name, content, mimetype)
                message.send()
            else:
                send_mail(subject.strip(), body.strip() + "\n", None, [user.email])
    except Exception:  # noqa: BLE001 - its rows are rolled back: the next run tries again
        log.warning("%s email to user %s not sent", kind, user.pk, exc_info=True)
        return False
    return True


def announce(
    *,
    org,
    kind: str,
    key: str,
    template: str,
    context: dict,
    department=None,
    org_wide: bool = True,
    mention=(),
) -> int:
    """Post about one event on the message channels routed for `kind` (messaging.announce:
    at most once per channel and `key`, sent by a job after commit). `template` names
    reviews/chat/<template>.txt, or is a whole template name (with a "/"): its first line
    is the title, the rest short markdown; `context["url"]` is the page it links to. The
    event's `department` also reaches that department's own channels; `org_wide=False`
    keeps it off the organization-wide ones. `mention` (users) are @-mentioned where the
    platform knows them (departments.MemberIdentity). Never raises: a channel problem
    never stops an e-mail or a step. Returns the number of messages queued."""

    def build() -> Message:
        name = template if "/" in template else f"reviews/chat/{template}.txt"
        text = render_to_string(name, {"org": org, **context})
        title, _sep, body = text.strip().partition("\n")
        return Message(title=title.strip(), text=body.strip(), url=context["url"])

    try:
        with transaction.atomic():
            return len(
                channels.announce(
                    org=org,
                    kind=kind,
                    event_key=key,
                    build=build,
                    department_id=getattr(department, "pk", department),
                    org_wide=org_wide,
                    mention_user_ids=[u.pk for u in mention],
                )
            )
    except Exception:  # noqa: BLE001 - rolled back to its savepoint; e-mails go on
        log.warning("%s channel message %s not queued", kind, key, exc_info=True)
        return 0


def digest(keys) -> str:
    """A short stable name for a set of subjects (an event covering several KPIs)."""
    return hashlib.sha256(",".join(sorted(keys)).encode()).hexdigest()[:16]


def escalates(org, row, *, today: dt.date, period) -> bool:
    """Whether a late department's reminder also goes to the managers above it: at once
    when it has no manager; `escalate_after_days` after the due date otherwise (0: never)."""
    if not row.escalation_managers:
        return False
    if not row.managers:
        return True
    days = org.escalate_after_days
    return bool(days) and (today - period.due_date).days >= days


def _members(org, roles) -> list:
    return [
        m.user
        for m in Membership.objects.for_org(org)
        .filter(role__in=roles, is_active=True)
        .select_related("user")
    ]


def entry_reminders(*, org, today: dt.date | None = None) -> int:
    """Managers with missing actuals: once N days before the period's due date (the
    organization's `reminder_days_before`) and once when it is past; HR gets a summary of
    the late departments on the due date (flagging those without a manager). A department
    without a manager is escalated at once to the managers above it, a late one after the
    organization's `escalate_after_days` (once per period). Everything also goes to the
    routed channels (`announce`). Returns the number of emails sent."""
    today = today or timezone.localdate()
    sent = 0
    window = dt.timedelta(days=org.reminder_days_before)
    for period in metric_selectors.period_list(org=org, status=PeriodStatus.OPEN):
        if today < period.due_date - window:
            continue
        overdue = today > period.due_date or today == period.due_date
        report = metric_selectors.completeness(org=org, period=period, today=today)
        late = [row for row in report["rows"] if row.missing]
        if not late:
            continue
        per_manager = defaultdict(list)
        for row in late:
            for manager in row.managers:
                per_manager[manager].append(row)
        kind = K.ENTRY_OVERDUE if overdue else K.ENTRY_DUE_SOON
        url = link(org, "my_entries") + f"?period={period.pk}"
        for manager, rows in per_manager.items():
            sent += send_once(
                org=org,
                kind=kind,
                user=manager,
                keys=[f"period:{period.pk}"],
                template=kind,
                context={"period": period, "rows": rows, "url": link(org, "my_entries")},
            )
        announce(
            org=org,
            kind=kind,
            key=f"{kind}:period:{period.pk}",
            template="entry_late",
            context={"period": period, "rows": late, "overdue": overdue, "url": url},
        )
        for row in late:
            department = row.department
            announce(
                org=org,
                kind=kind,
                key=f"{kind}:period:{period.pk}:department:{department.pk}",
                template="entry_department",
                context={"period": period, "row": row, "url": url},
                department=department,
                org_wide=False,
                mention=row.managers,
            )
            if not escalates(org, row, today=today, period=period):
                continue
            # No manager (at once), or late past the organization's days: the managers
            # above are told, once per period and department.
            key = f"escalation:period:{period.pk}:department:{department.pk}"
            for person in row.escalation_managers:
                sent += send_once(
                    org=org,
                    kind=kind,
                    user=person,
                    keys=[key],
                    template="entry_escalation",
                    context={"period": period, "row": row, "url": url},
                )
            announce(
                org=org,
                kind=kind,
                key=f"{kind}:{key}",
                template="entry_escalation",
                context={"period": period, "row": row, "url": url},
                department=row.escalation,
                org_wide=False,
                mention=row.escalation_managers,
            )
        if overdue:
            summary_url = link(org, "entry_completeness") + f"?period={period.pk}"
            for person in _members(org, [Role.HR]) or _members(org, [Role.ADMIN]):
                sent += send_once(
                    org=org,
                    kind=K.HR_LATE_SUMMARY,
                    user=person,
                    keys=[f"period:{period.pk}"],
                    template=K.HR_LATE_SUMMARY,
                    context={"period": period, "rows": late, "url": summary_url},
                )
            announce(
                org=org,
                kind=K.HR_LATE_SUMMARY,
                key=f"{K.HR_LATE_SUMMARY}:period:{period.pk}",
                template=K.HR_LATE_SUMMARY,
                context={"period": period, "rows": late, "url": summary_url},
            )
    return sent


def red_kpi_alerts(*, org, period_ids, department_ids=None, pairs=None) -> int:
    """After a recalculation: each KPI that is red in an open period of its entry frequency
    and was not reported yet is told to its department's managers and to HR, once (one
    email per person listing the new ones). Only the lines of `department_ids` when given,
    and of those only the (period, department) `pairs` when given (what the run recomputed:
    a save's alerts cost what the save changed, and a burst's what the burst changed, not
    every marked department in every marked period)."""
    red = ScorecardLine.objects.for_org(org).filter(
        period_id__in=period_ids, status=Status.RED, period__status=PeriodStatus.OPEN
    )
    if department_ids is not None:
        red = red.filter(department_id__in=department_ids)
    if pairs is not None:
        by_period = defaultdict(set)
        for period_id, department_id in pairs:
            by_period[period_id].add(department_id)
        red = red.filter(
            reduce(
                operator.or_,
                (Q(period_id=p, department_id__in=sorted(d)) for p, d in sorted(by_period.items())),
                Q(pk__in=[]),
            )
        )
    lines = list(
        red
        # Red where it is entered (a month's actual), not in the quarter or year it feeds.
        .filter(period__kind=F("kpi__indicator__frequency"))
        .exclude(actual=None)
        .select_related("kpi__indicator", "department", "period")
        .order_by("department__code", "kpi__indicator__code")
    )
    if not lines:
        return 0
    hr = _members(org, [Role.HR])

    managers = defaultdict(list)
    for dm in (
        DepartmentManager.objects.for_org(org)
        .filter(department_id__in={line.department_id for line in lines})
        .select_related("user")
    ):
        managers[dm.department_id].append(dm.user)
    per_person = defaultdict(list)
    for line in lines:
        for person in {*managers[line.department_id], *hr}:
            per_person[person].append(line)
    sent = 0
    for person, person_lines in per_person.items():
        sent += send_once(
            org=org,
            kind=K.KPI_RED,
            user=person,
            keys=[f"kpi:{line.kpi_id}:period:{line.period_id}" for line in person_lines],
            template=K.KPI_RED,
            context={
                "lines": person_lines,
                "links": {
                    line.kpi_id: link(org, "kpi_detail", pk=line.kpi_id) for line in person_lines
                },
            },
        )
    # The channels: one message listing the red KPIs, and each department's part in its own
    # channel; the same set of red KPIs is never posted twice.
    keys = [f"kpi:{line.kpi_id}:period:{line.period_id}" for line in lines]
    announce(
        org=org,
        kind=K.KPI_RED,
        key=f"{K.KPI_RED}:{digest(keys)}",
        template=K.KPI_RED,
        context={
            "lines": lines,
            "url": link(org, "company_dashboard") + f"?period={lines[0].period_id}",
        },
    )
    by_department = defaultdict(list)
    for line in lines:
        by_department[line.department].append(line)
    for department, department_lines in by_department.items():
        first = department_lines[0]
        announce(
            org=org,
            kind=K.KPI_RED,
            key=f"{K.KPI_RED}:department:{department.pk}:"
            + digest(f"kpi:{line.kpi_id}:period:{line.period_id}" for line in department_lines),
            template=K.KPI_RED,
            context={
                "lines": department_lines,
                "url": link(org, "kpi_detail", pk=first.kpi_id)
                if len(department_lines) == 1
                else link(org, "department_scorecard", pk=department.pk)
                + f"?period={first.period_id}",
            },
            department=department,
            org_wide=False,
            mention=managers[department.pk],
        )
    return sent


def reviews_waiting(*, org, today: dt.date | None = None) -> int:
    """Once a week: the reviews waiting at an executive's step, listed to the executives."""

    today = today or timezone.localdate()
    waiting = list(selectors.review_list(org=org, step_role=StepRole.EXECUTIVE))
    if not waiting:
        return 0
    year, week, _day = today.isocalendar()
    sent = 0
    for person in _members(org, [Role.EXECUTIVE]):
        sent += send_once(
            org=org,
            kind=K.REVIEWS_WAITING,
            user=person,
            keys=[f"week:{year}-{week:02d}"],
            template=K.REVIEWS_WAITING,
            context={"reviews": waiting, "url": link(org, "review_list")},
        )
    announce(
        org=org,
        kind=K.REVIEWS_WAITING,
        key=f"{K.REVIEWS_WAITING}:week:{year}-{week:02d}",
        template=K.REVIEWS_WAITING,
        context={"reviews": waiting, "url": link(org, "review_list")},
    )
    return sent


# --- Actions on red KPIs (issue 19) ----------------------------------------------------

# An action's owner is reminded this many days before its due date (and once it is past).
ACTION_DAYS_BEFORE = 3


def action_key(action) -> str:
    """The subject of an action's reminders: the action at its due date, so an action
    re-dated later is reminded again for its new date."""
    return f"action:{action.pk}:due:{action.due_date.isoformat()}"


def action_reminders(*, org, today: dt.date | None = None) -> int:
    """Owners of actions still open or in progress: once ACTION_DAYS_BEFORE days before the
    due date (or on any day up to it, when the action was planned later), once when it is
    past. One email per owner and kind listing the actions not told yet; each action is
    told once per kind (and due date). Returns the number of emails sent."""
    today = today or timezone.localdate()
    actions = list(
        action_list(org=org, status="active")
        .filter(due_date__lte=today + dt.timedelta(days=ACTION_DAYS_BEFORE))
        .exclude(owner=None)
    )
    if not actions:
        return 0
    told = set(
        Notification.objects.for_org(org)
        .filter(
            kind__in=[K.ACTION_DUE_SOON, K.ACTION_OVERDUE],
            key__in=[action_key(a) for a in actions],
        )
        .values_list("kind", "user_id", "key")
    )
    grouped: dict[tuple, list] = defaultdict(list)
    for action in actions:
        kind = K.ACTION_OVERDUE if action.due_date < today else K.ACTION_DUE_SOON
        if (kind, action.owner_id, action_key(action)) not in told:
            grouped[(kind, action.owner_id)].append(action)
    sent = 0
    for (kind, _owner_id), owned in grouped.items():
        sent += send_once(
            org=org,
            kind=kind,
            user=owned[0].owner,
            keys=[action_key(a) for a in owned],
            template=kind,
            context={
                "actions": owned,
                "today": today,
                "links": {a.pk: link(org, "action_detail", pk=a.pk) for a in owned},
                "url": link(org, "action_list") + "?mine=on&status=active",
            },
        )
    return sent


# --- Appeals of grades (grades.signals) ------------------------------------------------


def calibration_published(*, org, calibration) -> int:
    """Post on the channels routed for "grades published" that a period's grades are out
    (once per publication: a reopened and republished calibration is a new event). Managers
    read their grades on the grades page; no e-mail (they are told by their chat group)."""
    return announce(
        org=org,
        kind=K.CALIBRATION_PUBLISHED,
        key=f"calibration:{calibration.pk}:published:{calibration.published_at:%Y%m%d%H%M%S}",
        template="calibration_published",
        context={
            "calibration": calibration,
            "url": link(org, "grade_board") + f"?period={calibration.period_id}",
        },
    )


def grade_appeal_raised(*, org, appeal) -> int:
    """Tell HR and the executives that a manager appealed a published grade (once each)."""
    deciders = [
        m.user
        for m in Membership.objects.for_org(org)
        .filter(role__in=[Role.HR, Role.EXECUTIVE], is_active=True)
        .select_related("user")
    ]
    url = link(org, "grade_board") + f"?period={appeal.calibration.period_id}"
    announce(
        org=org,
        kind=K.GRADE_APPEAL,
        key=f"appeal:{appeal.pk}:raised",
        template="grade_appeal",
        context={"appeal": appeal, "url": url, "resolved": False},
        department=appeal.department_id,
    )
    return sum(
        send_once(
            org=org,
            kind=K.GRADE_APPEAL,
            user=user,
            keys=[f"appeal:{appeal.pk}:raised"],
            template="grade_appeal_raised",
            context={"appeal": appeal, "url": url},
        )
        for user in deciders
    )


def grade_appeal_resolved(*, org, appeal) -> int:
    """Tell the manager who appealed how the appeal was decided (once)."""
    if appeal.raised_by is None:
        return 0
    url = link(org, "grade_board") + f"?period={appeal.calibration.period_id}"
    announce(
        org=org,
        kind=K.GRADE_APPEAL,
        key=f"appeal:{appeal.pk}:resolved",
        template="grade_appeal",
        context={"appeal": appeal, "url": url, "resolved": True},
        department=appeal.department_id,
    )
    return int(
        send_once(
            org=org,
            kind=K.GRADE_APPEAL,
            user=appeal.raised_by,
            keys=[f"appeal:{appeal.pk}:resolved"],
            template="grade_appeal_resolved",
            context={"appeal": appeal, "url": url},
        )
    )


def _holders(org, step, department) -> list:
    """Who holds the step for this department: its managers (directly appointed), HR (else
    the admins) or the executives (else the admins)."""
    if step is None or step.role == StepRole.MANAGER:
        return [
            dm.user
            for dm in DepartmentManager.objects.for_org(org)
            .filter(department=department)
            .select_related("user")
        ]
    role = Role.HR if step.role == StepRole.HR else Role.EXECUTIVE
    return _members(org, [role]) or _members(org, [Role.ADMIN])


def review_step_notify(*, org, transition) -> int:
    """Tell the people who hold the step a review just reached (the department's managers
    when it was returned to them or approved), except the one who moved it. Once per move:
    the key is the transition's, so a rerun (reviews_steps_pending) sends nothing twice,
    and a review that comes back to a step later is told again."""
    review = transition.review
    sent = 0
    context = {
        "review": review,
        "move": transition,
        "url": link(org, "review_detail", pk=review.department_id) + f"?period={review.period_id}",
    }
    holders = [
        p for p in _holders(org, transition.to_step, review.department) if p.pk != transition.by_id
    ]
    for person in holders:
        sent += send_once(
            org=org,
            kind=K.REVIEW_STEP,
            user=person,
            keys=[f"review:{review.pk}:move:{transition.pk}"],
            template=K.REVIEW_STEP,
            context=context,
        )
    announce(
        org=org,
        kind=K.REVIEW_STEP,
        key=f"review:{review.pk}:move:{transition.pk}",
        template=K.REVIEW_STEP,
        context=context,
        department=review.department,
        mention=holders,
    )
    return sent


def reviews_steps_pending(*, org) -> int:
    """The daily catch-up: for every review's last move, the notice its step's holders
    should have had (one a failed send left out). Sends only what was not sent."""
    last: dict[int, ReviewTransition] = {}
    for move in (
        ReviewTransition.objects.for_org(org)
        .exclude(review__status=ReviewStatus.APPROVED)
        .select_related("review__department", "review__period", "to_step", "by")
        .order_by("review_id", "at", "pk")
    ):
        last[move.review_id] = move
    return sum(review_step_notify(org=org, transition=move) for move in last.values())


# --- Values that need sign-off (metrics.services.signoff) -------------------------------


def values_rejected(*, org, actual_ids) -> int:
    """Tell each person who entered one of these values that it was rejected, and why:
    one email per person, each rejection once (keyed by the value and its version: a value
    is rejected again only after it was changed, which raises its version)."""
    rejected = list(
        Actual.objects.for_org(org)
        .filter(pk__in=actual_ids, status=SignOff.REJECTED, entered_by__isnull=False)
        .select_related("kpi__indicator", "department", "period", "entered_by", "reviewed_by")
        .order_by("period__start", "department__code", "kpi__indicator__code")
    )
    per_person = defaultdict(list)
    for actual in rejected:
        per_person[actual.entered_by].append(actual)
    sent = 0
    for person, actuals in per_person.items():
        sent += send_once(
            org=org,
            kind=K.VALUE_REJECTED,
            user=person,
            keys=[f"actual:{a.pk}:v{a.version}" for a in actuals],
            template=K.VALUE_REJECTED,
            context={"actuals": actuals, "url": link(org, "my_entries")},
        )
    return sent


def values_to_confirm(*, org, today: dt.date | None = None) -> int:
    """Once a day: each confirmer with values awaiting them is told how many (the named
    role's members; the direct managers of the named department)."""
    today = today or timezone.localdate()
    waiting = list(
        Kpi.objects.for_org(org)
        .filter(actuals__status=SignOff.PENDING, actuals__period__status=PeriodStatus.OPEN)
        .values_list("confirm_role", "confirm_department_id", "actuals__id")
    )
    if not waiting:
        return 0
    by_role: dict[str, int] = defaultdict(int)
    by_department: dict[int, int] = defaultdict(int)
    for role, department_id, _actual in waiting:
        if role:
            by_role[role] += 1
        elif department_id:
            by_department[department_id] += 1
    counts: dict = defaultdict(int)
    for member in (
        Membership.objects.for_org(org)
        .filter(is_active=True)
        .filter(role__in=list(by_role))
        .select_related("user")
    ):
        counts[member.user] += by_role[member.role]
    for dm in (
        DepartmentManager.objects.for_org(org)
        .filter(department_id__in=list(by_department))
        .select_related("user")
    ):
        counts[dm.user] += by_department[dm.department_id]
    sent = 0
    for person, count in counts.items():
        sent += send_once(
            org=org,
            kind=K.VALUES_TO_CONFIRM,
            user=person,
            keys=[f"day:{today.isoformat()}"],
            template=K.VALUES_TO_CONFIRM,
            context={"count": count, "url": link(org, "sign_off_queue")},
        )
    return sent
