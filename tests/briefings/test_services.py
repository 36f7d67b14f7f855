"""Asking for a book, the job that renders it (its failure recorded with a message), and
the monthly schedule: the Nth working day after the month, each executive once."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from briefings import selectors, services, tasks
from briefings.models import Briefing, BriefingSchedule
from departments.models import NotificationKind
from reviews.models import Notification
from tests.factories import MembershipFactory, UserFactory

from .conftest import FAKE_PDF, member

pytestmark = pytest.mark.django_db


def test_a_request_is_queued_then_rendered_once_committed(
    org, hr, months, fake_render, eager, django_capture_on_commit_callbacks
):
    march = months[2]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        briefing = services.briefing_request(org=org, period=march, language="en", by=hr)
        # nothing is published before the commit
        assert Briefing.objects.for_org(org).get(pk=briefing.pk).state == "queued"
    assert len(callbacks) == 1
    briefing = selectors.briefing_get(org=org, pk=briefing.pk)
    assert (briefing.state, bytes(briefing.pdf), briefing.error) == ("done", FAKE_PDF, "")
    assert briefing.finished_at is not None and briefing.requested_by == hr
    assert briefing.file_name == "briefing-2026-03-en.pdf"
    assert fake_render == [(march.pk, "en")]
    # a rerun of the job (a redelivered message) leaves the finished book alone
    assert services.briefing_run(org=org, briefing_id=briefing.pk) == "done"
    assert len(fake_render) == 1


def test_a_request_refuses_an_unknown_language_naming_the_field(org, hr, months):
    with pytest.raises(ValidationError) as refused:
        services.briefing_request(org=org, period=months[0], language="fr", by=hr)
    assert "language" in refused.value.message_dict
    assert not Briefing.objects.for_org(org).exists()


def test_a_failed_render_is_recorded_on_the_row_with_its_message(org, hr, months, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("pango exploded")

    monkeypatch.setattr(services, "_render", broken)
    briefing = services.briefing_request(org=org, period=months[2], language="en", by=hr)
    # the job itself, as a worker runs it (ids in)
    state = tasks.render_briefing.apply(
        kwargs={"organization_id": org.pk, "briefing_id": briefing.pk}
    ).get()
    assert state == "failed"
    briefing.refresh_from_db()
    assert briefing.state == "failed" and briefing.finished_at is not None
    assert "pango exploded" in briefing.error and "could not be made" in briefing.error
    assert bytes(briefing.pdf) == b""


def test_working_days_skip_the_weekend():
    saturday = dt.date(2026, 1, 31)
    assert services.working_day_after(saturday, 1) == dt.date(2026, 2, 2)  # Monday
    assert services.working_day_after(dt.date(2026, 3, 31), 3) == dt.date(2026, 4, 3)
    assert services.working_day_after(dt.date(2026, 3, 31), 4) == dt.date(2026, 4, 6)


def test_only_admin_and_hr_set_the_schedule_and_its_day_is_checked(org, hr, executive):
    with pytest.raises(PermissionDenied):
        services.schedule_save(
            org=org,
            membership=member(executive),
            enabled=True,
            working_day_after_close=3,
            language="en",
        )
    with pytest.raises(ValidationError) as refused:
        services.schedule_save(
            org=org, membership=member(hr), enabled=True, working_day_after_close=11, language="en"
        )
    assert "working_day_after_close" in refused.value.message_dict
    saved = services.schedule_save(
        org=org, membership=member(hr), enabled=True, working_day_after_close=3, language="en"
    )
    assert selectors.schedule_get(org=org).pk == saved.pk


@pytest.fixture
def scheduled(org, hr, executive, months):
    second = UserFactory(username="ezra-exec")
    MembershipFactory(organization=org, user=second, role="executive")
    services.schedule_save(
        org=org, membership=member(hr), enabled=True, working_day_after_close=3, language="en"
    )
    return {"executives": [executive, second], "march": months[2]}


def _briefing_mails():
    return [m for m in mail.outbox if m.attachments]


def test_the_schedule_sends_the_month_on_its_working_day_to_each_executive_once(
    org, hr, scheduled, fake_render
):
    # March 2026 ends on Tuesday 31: working day 3 is Friday 3 April
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 2)) == 0
    assert not _briefing_mails() and fake_render == []

    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 3)) == 2
    sent = _briefing_mails()
    assert sorted(m.to[0] for m in sent) == sorted(u.email for u in scheduled["executives"])
    assert all(
        m.attachments == [("briefing-2026-03-en.pdf", FAKE_PDF, "application/pdf")] for m in sent
    )
    assert all("2026-03" in m.subject for m in sent)
    assert hr.email not in [m.to[0] for m in mail.outbox]  # executives only
    book = Briefing.objects.for_org(org).get()
    assert book.scheduled and book.period == scheduled["march"] and book.requested_by is None
    assert Notification.objects.for_org(org).filter(kind=NotificationKind.BRIEFING).count() == 2

    # the same day again, and the next working day (within the catch-up): nothing twice
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 3)) == 0
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 6)) == 0
    assert len(_briefing_mails()) == 2 and len(fake_render) == 1


def test_a_missed_day_is_caught_up_but_not_a_stale_month(org, scheduled, fake_render):
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 7)) == 2  # beat was down
    mail.outbox.clear()
    # switched on late: the month ended weeks ago, nothing is mailed out of the blue
    assert services.scheduled_send(org=org, today=dt.date(2026, 5, 29)) == 0
    assert not _briefing_mails()


def test_the_schedule_sends_nothing_when_off(org, hr, scheduled, fake_render):
    BriefingSchedule.objects.for_org(org).update(enabled=False)
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 3)) == 0
    assert fake_render == [] and not _briefing_mails()


def test_a_failed_scheduled_render_sends_nothing_and_is_tried_again(org, scheduled, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(services, "_render", broken)
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 3)) == 0
    assert Briefing.objects.for_org(org).get().state == "failed"
    assert not Notification.objects.for_org(org).filter(kind=NotificationKind.BRIEFING).exists()
    monkeypatch.setattr(services, "_render", lambda **kwargs: FAKE_PDF)
    assert services.scheduled_send(org=org, today=dt.date(2026, 4, 6)) == 2


def test_the_daily_beat_job_runs_each_organization_alone(org, other_org, scheduled, fake_render):
    result = tasks.send_scheduled_org.apply(
        kwargs={"organization_id": org.pk, "today": "2026-04-03"}
    ).get()
    assert result == 2
    assert (
        tasks.send_scheduled_org.apply(
            kwargs={"organization_id": other_org.pk, "today": "2026-04-03"}
        ).get()
        == 0
    )  # no schedule there
