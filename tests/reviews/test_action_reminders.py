"""Reminders of actions (issue 19): an action's owner is told once, ACTION_DAYS_BEFORE days
before its due date, and once when it is overdue, by the daily notifications job; never
again on a rerun, again for a new due date, never for a closed action, and not when the
owner turned the kind off."""

import datetime as dt

import pytest
from django.core import mail

from departments.models import Membership, Profile
from departments.selectors import managed_department_ids
from reviews import notifications
from reviews.models import Notification
from reviews.tasks import org_notifications
from scorecards.models import Action
from scorecards.services import action_create, action_update
from tests.scorecards.conftest import action_world, computed  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)


def _member(org, user):
    membership = Membership.objects.for_org(org).get(user=user)
    membership.managed_ids = managed_department_ids(org=org, user=user)
    return membership


@pytest.fixture
def planned(org, hr, manager, action_world, settings):  # noqa: F811 - the fixture
    settings.SITE_URL = "https://perfhub.example.com"
    manager.email = "mona@example.com"
    manager.save()
    action = action_create(
        org=org,
        membership=_member(org, hr),
        title="Call the largest customers",
        owner=manager,
        due_date=TODAY + dt.timedelta(days=10),
        kpi=action_world["red"],
        period=action_world["month"],
        today=TODAY,
    )
    mail.outbox.clear()
    return action


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_the_owner_is_reminded_once_before_and_once_after_the_due_date(org, planned):
    due = planned.due_date
    days = notifications.ACTION_DAYS_BEFORE
    assert notifications.action_reminders(org=org, today=due - dt.timedelta(days=days + 1)) == 0
    assert notifications.action_reminders(org=org, today=due - dt.timedelta(days=days)) == 1
    (message,) = _to("mona@example.com")
    assert "due soon" in message.subject and "Call the largest customers" in message.body
    assert f"https://perfhub.example.com/o/{org.slug}/actions/{planned.pk}/" in message.body
    # Reruns, the same day and up to the due date: nothing more.
    for day in range(days + 1):
        assert notifications.action_reminders(org=org, today=due - dt.timedelta(days=day)) == 0
    assert notifications.action_reminders(org=org, today=due + dt.timedelta(days=1)) == 1
    assert "overdue" in _to("mona@example.com")[-1].subject
    assert notifications.action_reminders(org=org, today=due + dt.timedelta(days=2)) == 0
    assert len(mail.outbox) == 2
    kinds = set(Notification.objects.for_org(org).values_list("kind", flat=True))
    assert kinds == {"action_due_soon", "action_overdue"}


def test_a_redated_action_is_reminded_again_and_a_closed_one_never(org, hr, planned):
    due = planned.due_date
    assert notifications.action_reminders(org=org, today=due) == 1
    later = due + dt.timedelta(days=20)
    action_update(org=org, membership=_member(org, hr), action=planned, due_date=later, today=due)
    assert notifications.action_reminders(org=org, today=later) == 1
    action_update(org=org, membership=_member(org, hr), action=planned, status="done")
    assert notifications.action_reminders(org=org, today=later + dt.timedelta(days=5)) == 0
    assert len(mail.outbox) == 2


def test_an_owner_who_turned_it_off_gets_nothing(org, manager, planned):
    Profile.objects.create(user=manager, muted=["action_due_soon", "action_overdue"])
    assert notifications.action_reminders(org=org, today=planned.due_date) == 0
    assert (
        notifications.action_reminders(org=org, today=planned.due_date + dt.timedelta(days=1)) == 0
    )
    assert not mail.outbox


def test_the_daily_job_sends_the_reminders_once(org, planned):
    day = planned.due_date.isoformat()

    def about_actions():  # the job also sends the day's other reminders
        return [m for m in _to("mona@example.com") if "Actions due soon" in m.subject]

    org_notifications.apply(kwargs={"organization_id": org.pk, "today": day}).get()
    assert len(about_actions()) == 1
    org_notifications.apply(kwargs={"organization_id": org.pk, "today": day}).get()
    assert len(about_actions()) == 1
    assert Action.objects.for_org(org).get().status == "open"
