"""Reminders that reach everyone (issue 18 §2): HR reminds every late department in one
click or one department; a department without a manager goes to the managers above it and
is flagged to HR; past the due date reminders escalate to the parent's managers after the
organization's days; all through the channels, never twice in a day."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from departments.models import Membership, NotificationKind, Role
from messaging import services
from messaging.models import Delivery
from metrics import selectors as metric_selectors
from metrics.services.templates import template_apply
from reviews import notifications
from reviews.services.reminders import entry_remind
from tests.factories import UserFactory, make_department
from tests.messaging import receiver as R

pytestmark = pytest.mark.django_db
K = NotificationKind


@pytest.fixture
def tree(org, hr, manager, sales, month, receiver):
    """Company (managed by Bob) above Sales (Mona) and Lonely (no manager); both with
    values of March to enter; every reminder kind routed to an organization-wide DingTalk
    robot and to Sales' own WeCom robot."""
    boss = UserFactory(username="bob-boss", email="bob@example.com")
    Membership.objects.create(organization=org, user=boss, role=Role.MANAGER)
    company = make_department(
        org, code="company", kind="management", function="admin", managers=[boss]
    )
    from departments.services import department_update

    department_update(department=sales, by=None, parent=company)
    lonely = make_department(org, code="lonely", parent=company)
    template = metric_selectors.template_list(org=org).get(code="sales_standard")
    template_apply(template=template, departments=[sales, lonely], by=None)
    manager.email, hr.email = "mona@example.com", "harry@example.com"
    manager.save()
    hr.save()
    hq = services.channel_save(
        org=org,
        by=None,
        data=services.ChannelInput(
            kind="dingtalk", name="HQ", webhook_url=receiver.dingtalk_url(), secret=R.DING_SECRET
        ),
    )
    own = services.channel_save(
        org=org,
        by=None,
        data=services.ChannelInput(
            kind="wecom", name="Sales group", webhook_url=receiver.wecom_url(), department=sales
        ),
    )
    kinds = [K.ENTRY_DUE_SOON, K.ENTRY_OVERDUE, K.HR_LATE_SUMMARY]
    services.routes_save(org=org, pairs=[(k, c.pk) for k in kinds for c in (hq, own)], by=None)
    mail.outbox.clear()
    return {"boss": boss, "company": company, "lonely": lonely, "hq": hq, "own": own}


def deliveries(org):
    return sorted(Delivery.objects.for_org(org).values_list("channel__name", "title"))


def to(outbox):
    return sorted(m.to[0] for m in outbox)


def test_remind_all_late_reaches_every_department_once_a_day(org, hr, month, sales, tree):
    day = month.due_date - dt.timedelta(days=2)
    result = entry_remind(org=org, period=month, by=hr, today=day)
    assert set(result.reminded) == {sales, tree["lonely"]}
    # Lonely has no manager: its reminder went to Company's manager, and HR is told.
    assert result.escalated == [(tree["lonely"], tree["company"])]
    assert to(mail.outbox) == ["bob@example.com", "mona@example.com"]
    assert deliveries(org) == [
        ("HQ", "Reminder: actuals of 2026-03 to enter"),
        ("Sales group", "Sales: actuals of 2026-03 to enter"),
    ]
    hq_text = Delivery.objects.for_org(org).get(channel=tree["hq"]).text
    assert "Sales" in hq_text and "Lonely" in hq_text and "harry-hr" in hq_text
    # The same day again: nothing sent anywhere.
    again = entry_remind(org=org, period=month, by=hr, today=day)
    assert set(again.already) == {sales, tree["lonely"]} and again.reminded == []
    assert len(mail.outbox) == 2 and Delivery.objects.for_org(org).count() == 2
    # The next day, a new reminder.
    entry_remind(org=org, period=month, by=hr, today=day + dt.timedelta(days=1))
    assert len(mail.outbox) == 4 and Delivery.objects.for_org(org).count() == 4


def test_remind_one_department(org, hr, month, sales, tree):
    result = entry_remind(
        org=org, period=month, by=hr, department_ids={sales.pk}, today=month.due_date
    )
    assert result.reminded == [sales] and result.escalated == []
    assert to(mail.outbox) == ["mona@example.com"]
    assert [c for c, _t in deliveries(org)] == ["HQ", "Sales group"]


def test_a_department_with_nobody_above_is_reported(org, hr, month, tree):
    root = make_department(org, code="root")  # no manager, no parent
    template_apply(
        template=metric_selectors.template_list(org=org).get(code="sales_standard"),
        departments=[root],
        by=None,
    )
    result = entry_remind(org=org, period=month, by=hr, department_ids={root.pk})
    assert result.no_manager == [root] and mail.outbox == []


def test_after_the_due_date_reminders_escalate_after_n_days(org, hr, month, sales, tree):
    org.escalate_after_days = 3
    org.save()
    one_day_late = month.due_date + dt.timedelta(days=1)
    result = entry_remind(
        org=org, period=month, by=hr, department_ids={sales.pk}, today=one_day_late
    )
    assert result.escalated == [] and to(mail.outbox) == ["mona@example.com"]
    mail.outbox.clear()
    result = entry_remind(
        org=org,
        period=month,
        by=hr,
        department_ids={sales.pk},
        today=month.due_date + dt.timedelta(days=3),
    )
    assert result.escalated == [(sales, tree["company"])]
    assert to(mail.outbox) == ["bob@example.com", "mona@example.com"]


def test_escalation_never_when_the_setting_is_zero(org, hr, month, sales, tree):
    org.escalate_after_days = 0
    org.save()
    result = entry_remind(
        org=org,
        period=month,
        by=hr,
        department_ids={sales.pk},
        today=month.due_date + dt.timedelta(days=30),
    )
    assert result.escalated == [] and to(mail.outbox) == ["mona@example.com"]


def test_the_daily_job_escalates_once(org, hr, month, sales, tree, periods):
    org.escalate_after_days = 2
    org.save()
    from metrics.models import Period, PeriodStatus

    # Only March is open (January and February would be told too).
    Period.objects.for_org(org).exclude(pk=month.pk).update(status=PeriodStatus.LOCKED)
    first = month.due_date + dt.timedelta(days=1)
    notifications.entry_reminders(org=org, today=first)
    # Overdue: Mona (Sales), Bob for Lonely (no manager, at once), HR's summary.
    assert to(mail.outbox) == ["bob@example.com", "harry@example.com", "mona@example.com"]
    summary = next(m for m in mail.outbox if m.to == ["harry@example.com"])
    assert "Lonely" in summary.body and "no manager" in summary.body
    titles = deliveries(org)
    assert ("HQ", "Actuals of 2026-03 are overdue") in titles
    assert ("HQ", "Departments late with the actuals of 2026-03") in titles
    assert ("Sales group", "Sales: actuals of 2026-03 to enter") in titles
    mail.outbox.clear()
    count = Delivery.objects.for_org(org).count()
    notifications.entry_reminders(org=org, today=first + dt.timedelta(days=1))
    # Two days late: Sales escalates to Bob, once.
    assert to(mail.outbox) == ["bob@example.com"]
    assert "Sales is late" in mail.outbox[0].subject
    mail.outbox.clear()
    notifications.entry_reminders(org=org, today=first + dt.timedelta(days=2))
    assert mail.outbox == []
    assert Delivery.objects.for_org(org).count() == count  # Company has no channel


def test_completeness_page_offers_remind_all_and_flags_orphans(client, hr, org, month, tree):
    org.escalate_after_days = 0  # today is past March's due date: only Lonely escalates
    org.save()
    client.force_login(hr)
    url = reverse("entry_completeness", kwargs={"slug": org.slug}) + f"?period={month.pk}"
    page = client.get(url).content.decode()
    assert 'id="remind-all"' in page and "Remind all late (2)" in page
    assert "Departments without a manager" in page and "Lonely → Company" in page
    response = client.post(
        reverse("entry_remind", kwargs={"slug": org.slug}),
        {"period": month.pk, "back": "completeness"},
        follow=True,
    )
    said = " ".join(str(m) for m in response.context["messages"])
    assert "Reminder sent to the managers of" in said
    assert "Also reminded, the managers above: Lonely → Company." in said
    assert to(mail.outbox) == ["bob@example.com", "mona@example.com"]


def test_escalation_days_is_an_organization_setting(api, client, admin, org):
    response = api(admin).patch(
        f"/api/v1/orgs/{org.slug}/", {"escalate_after_days": 5}, format="json"
    )
    assert response.status_code == 200 and response.json()["escalate_after_days"] == 5
    bad = api(admin).patch(f"/api/v1/orgs/{org.slug}/", {"escalate_after_days": 99}, format="json")
    assert bad.status_code == 400 and "escalate_after_days" in bad.json()
    client.force_login(admin)
    page = client.get(reverse("org_settings", kwargs={"slug": org.slug})).content.decode()
    assert 'name="escalate_after_days"' in page
