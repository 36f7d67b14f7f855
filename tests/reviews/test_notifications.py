"""Reminders and alerts: each sent once to the right people in their language, with a link
into the app, never again on a rerun, and not to people who turned the kind off."""

import datetime as dt

import pytest
from django.core import mail

from departments.models import Profile
from metrics import selectors as metric_selectors
from metrics.services.templates import template_apply
from reviews import notifications
from reviews.models import Notification, ReviewTransition
from reviews.services.reviews import review_save, review_transition
from reviews.tasks import org_notifications
from scorecards.rollup import recalculate
from tests.factories import enter_actuals

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(org, sales, support, manager, hr):
    """Sales with its standard KPIs; January 2026 (the first period, so nothing earlier is
    late) with one value entered, the rest missing."""
    template_apply(
        template=metric_selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    kpis = {k.indicator.code: k for k in metric_selectors.kpi_list(org=org, department=sales)}
    month = support["months"][0]
    enter_actuals(org, (kpis["sales_revenue"], month, "1500000"))
    manager.email, hr.email = "mona@example.com", "harry@example.com"
    manager.save()
    hr.save()
    mail.outbox.clear()
    return {"month": month, "kpis": kpis}


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_due_soon_once_per_manager_listing_missing(org, entry, settings):
    settings.SITE_URL = "https://perfhub.example.com"
    month = entry["month"]
    too_early = month.due_date - dt.timedelta(days=org.reminder_days_before + 1)
    assert notifications.entry_reminders(org=org, today=too_early) == 0
    day = month.due_date - dt.timedelta(days=org.reminder_days_before)
    assert notifications.entry_reminders(org=org, today=day) == 1
    (message,) = _to("mona@example.com")
    assert "due soon" in message.subject or "即将到期" in message.subject
    assert f"https://perfhub.example.com/o/{org.slug}/entries/" in message.body
    assert entry["kpis"]["new_customers"].indicator.display_name in message.body
    assert entry["kpis"]["sales_revenue"].indicator.display_name not in message.body
    # A rerun (the same day or the next) sends nothing again; nor does HR get anything yet.
    assert notifications.entry_reminders(org=org, today=day) == 0
    assert notifications.entry_reminders(org=org, today=day + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_overdue_notice_and_hr_summary_on_the_due_date(org, entry):
    due = entry["month"].due_date
    assert notifications.entry_reminders(org=org, today=due) == 2
    (notice,) = _to("mona@example.com")
    assert "overdue" in notice.subject and entry["month"].label in notice.subject
    (summary,) = _to("harry@example.com")
    assert "late" in summary.subject
    assert "Sales" in summary.body and "HR" in summary.body  # departments with missing KPIs
    assert notifications.entry_reminders(org=org, today=due) == 0


def test_in_the_recipients_language(org, entry, manager, hr):
    org.language = "zh-hans"
    org.save()
    Profile.objects.create(user=manager, language="en")
    notifications.entry_reminders(org=org, today=entry["month"].due_date)
    english = _to("mona@example.com")[0]
    chinese = _to("harry@example.com")[0]
    assert "overdue" in english.subject and "Hello" in english.body
    assert "逾期" in chinese.subject or "未按期" in chinese.subject
    assert "Hello" not in chinese.body


def test_turned_off_kinds_are_not_sent(org, entry, manager):
    Profile.objects.create(user=manager, muted=["entry_overdue"])
    notifications.entry_reminders(org=org, today=entry["month"].due_date)
    assert _to("mona@example.com") == []
    assert _to("harry@example.com")  # HR still gets the summary


def test_red_kpi_told_once_to_manager_and_hr(org, entry, support, manager, hr):
    month = entry["month"]
    kpi = entry["kpis"]["customer_satisfaction"]
    enter_actuals(org, (kpi, month, "1", "bad month"))
    period_ids = [p.pk for p in support["periods"]]
    recalculate(org=org, period_ids=period_ids)
    mail.outbox.clear()
    assert notifications.red_kpi_alerts(org=org, period_ids=period_ids) == 2
    for address in ("mona@example.com", "harry@example.com"):
        (message,) = _to(address)
        assert f"/o/{org.slug}/kpis/{kpi.pk}/" in message.body
        assert message.body.count(f"/kpis/{kpi.pk}/") == 1  # the month only, not its quarter
    recalculate(org=org, period_ids=period_ids)
    assert notifications.red_kpi_alerts(org=org, period_ids=period_ids) == 0
    assert len(mail.outbox) == 2


def test_red_kpi_alerts_only_for_the_pairs_a_run_recomputed(org, entry, support, manager):
    """A run narrowed to (period, department) pairs tells only their red KPIs: a red line of
    the same department in another marked period waits for its own run."""
    month, later = entry["month"], support["months"][1]
    kpi = entry["kpis"]["customer_satisfaction"]
    enter_actuals(org, (kpi, month, "1", "bad month"), (kpi, later, "1", "bad again"))
    period_ids = [p.pk for p in support["periods"]]
    recalculate(org=org, period_ids=period_ids)
    mail.outbox.clear()
    sent = notifications.red_kpi_alerts(
        org=org,
        period_ids=[month.pk, later.pk],
        department_ids=[kpi.department_id],
        pairs=[(later.pk, kpi.department_id)],
    )
    assert sent == 2  # the manager and HR
    told = set(Notification.objects.for_org(org).values_list("key", flat=True))
    assert told == {f"kpi:{kpi.pk}:period:{later.pk}"}
    assert notifications.red_kpi_alerts(org=org, period_ids=[month.pk]) == 2  # not told yet
    assert notifications.red_kpi_alerts(org=org, period_ids=[month.pk, later.pk], pairs=[]) == 0


def test_reviews_waiting_weekly(org, sales, support, manager, hr, executive, member_of):
    executive.email = "eve@example.com"
    executive.save()
    review = review_save(
        org=org,
        membership=member_of(manager),
        department=sales,
        period=support["month"],
        self_assessment="a",
        improvement_plan="b",
    )
    monday = dt.date(2026, 4, 6)
    assert notifications.reviews_waiting(org=org, today=monday) == 0  # a draft waits for nobody
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    # At HR's check: not yet waiting for an executive.
    assert notifications.reviews_waiting(org=org, today=monday) == 0
    review_transition(org=org, membership=member_of(hr), review=review, action="forward")
    mail.outbox.clear()  # the step notices, tested below
    assert notifications.reviews_waiting(org=org, today=monday) == 1
    assert notifications.reviews_waiting(org=org, today=monday + dt.timedelta(days=2)) == 0
    assert notifications.reviews_waiting(org=org, today=monday + dt.timedelta(days=7)) == 1
    assert [m.to for m in mail.outbox] == [["eve@example.com"], ["eve@example.com"]]
    assert f"/o/{org.slug}/reviews/" in mail.outbox[0].body


def _steps_review(org, sales, support, manager, member_of):
    return review_save(
        org=org,
        membership=member_of(manager),
        department=sales,
        period=support["month"],
        self_assessment="a",
        improvement_plan="b",
    )


def test_each_step_tells_the_next_holders_once(
    org, sales, support, manager, hr, admin, executive, member_of
):
    review = _steps_review(org, sales, support, manager, member_of)
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    # HR holds the HR check (the admin only when the organization has no HR).
    assert [m.to for m in mail.outbox] == [[hr.email]]
    assert "HR check" in mail.outbox[0].body
    assert f"/o/{org.slug}/reviews/{sales.pk}/?period={support['month'].pk}" in mail.outbox[0].body
    move = ReviewTransition.objects.for_org(org).get(review=review)
    assert notifications.review_step_notify(org=org, transition=move) == 0  # once per move
    assert notifications.reviews_steps_pending(org=org) == 0  # the daily catch-up too
    review_transition(org=org, membership=member_of(hr), review=review, action="forward")
    assert [m.to for m in mail.outbox[1:]] == [[executive.email]]
    review_transition(
        org=org, membership=member_of(executive), review=review, action="return", comment="Why?"
    )
    # Back at HR's check: a new move, told again, with the reason.
    assert [m.to for m in mail.outbox[2:]] == [[hr.email]]
    assert "Why?" in mail.outbox[2].body
    review_transition(
        org=org, membership=member_of(hr), review=review, action="return", comment="Redo."
    )
    assert [m.to for m in mail.outbox[3:]] == [[manager.email]]  # the department's manager
    assert Notification.objects.for_org(org).filter(kind="review_step").count() == 4
    assert notifications.reviews_steps_pending(org=org) == 0


def test_a_failed_step_notice_is_sent_by_the_daily_catch_up(
    org, sales, support, manager, hr, member_of, monkeypatch
):
    review = _steps_review(org, sales, support, manager, member_of)

    def down(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(notifications, "send_mail", down)
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    assert mail.outbox == [] and review_step_count(org) == 0  # the step stands all the same
    monkeypatch.undo()
    assert notifications.reviews_steps_pending(org=org) == 1
    assert [m.to for m in mail.outbox] == [[hr.email]]
    assert notifications.reviews_steps_pending(org=org) == 0


def test_step_notice_goes_to_admins_without_hr_and_not_to_who_moved(
    org, sales, support, manager, hr, executive, admin, member_of
):
    from departments.models import Membership

    Membership.objects.for_org(org).filter(user__in=[hr, executive]).delete()
    review = _steps_review(org, sales, support, manager, member_of)
    review_transition(org=org, membership=member_of(manager), review=review, action="submit")
    assert [m.to for m in mail.outbox] == [[admin.email]]
    # The admin passes the HR check on to the decision, which admins hold too here: nobody
    # is told, as the one who moved it is the only holder.
    review_transition(org=org, membership=member_of(admin), review=review, action="forward")
    assert len(mail.outbox) == 1


def review_step_count(org) -> int:
    return Notification.objects.for_org(org).filter(kind="review_step").count()


def test_daily_job_is_idempotent_and_scoped(org, other_org, entry):
    day = entry["month"].due_date.isoformat()
    first = org_notifications.apply(kwargs={"organization_id": org.pk, "today": day}).get()
    assert first > 0 and len(mail.outbox) == first
    again = org_notifications.apply(kwargs={"organization_id": org.pk, "today": day}).get()
    assert again == 0 and len(mail.outbox) == first
    assert (
        org_notifications.apply(kwargs={"organization_id": other_org.pk, "today": day}).get() == 0
    )


def test_a_failed_send_is_retried_by_the_next_run(org, entry, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    day = entry["month"].due_date - dt.timedelta(days=1)
    assert notifications.entry_reminders(org=org, today=day) == 0  # logged, not raised
    monkeypatch.undo()
    assert notifications.entry_reminders(org=org, today=day) == 1
    assert len(mail.outbox) == 1
