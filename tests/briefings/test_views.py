"""The briefings page and the download: admin, HR and executives; a manager 403; another
organization's member 404; the request, the schedule form and the dashboard's link."""

import pytest
from django.conf import settings
from django.urls import reverse

from briefings import services
from briefings.models import Briefing, BriefingSchedule

from .conftest import FAKE_PDF

pytestmark = pytest.mark.django_db


def _url(org, name="briefing_list", **kwargs):
    return reverse(name, kwargs={"slug": org.slug, **kwargs})


@pytest.fixture
def book(org, hr, months, fake_render, eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.briefing_request(org=org, period=months[2], language="en", by=hr)


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("hr", 200), ("executive", 200), ("manager", 403), ("outsider", 404)],
)
def test_the_page_and_the_download_by_role(role, status, role_users, login, org, book):
    client = login(role_users[role])
    assert client.get(_url(org)).status_code == status
    response = client.get(_url(org, "briefing_download", pk=book.pk))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == ('attachment; filename="briefing-2026-03-en.pdf"')
        assert response.content == FAKE_PDF


def test_the_list_shows_time_state_and_who_asked(login, org, hr, executive, book, months):
    Briefing.objects.create(
        organization=org,
        period=months[1],
        language="zh-hans",
        state="failed",
        error="<script>boom</script>",
        requested_by=executive,
    )
    page = login(executive).get(_url(org)).content.decode()
    assert "harry-hr" in page and "eve-exec" in page
    assert _url(org, "briefing_download", pk=book.pk) in page
    assert "&lt;script&gt;boom&lt;/script&gt;" in page and "<script>boom" not in page


def test_another_organizations_book_is_404(login, org, other_org, outsider, book):
    # the outsider is admin of other_org: the id of org's book is unknown there
    client = login(outsider)
    assert client.get(_url(other_org, "briefing_download", pk=book.pk)).status_code == 404


def test_an_executive_asks_for_a_book_in_a_language(
    login, org, executive, months, fake_render, eager, django_capture_on_commit_callbacks
):
    march = months[2]
    client = login(executive)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(org) + f"?period={march.pk}", {"action": "request", "language": "zh-hans"}
        )
    assert response.status_code == 302
    book = Briefing.objects.for_org(org).get()
    assert (book.period, book.language, book.state, book.requested_by) == (
        march,
        "zh-hans",
        "done",
        executive,
    )
    assert fake_render == [(march.pk, "zh-hans")]


def test_a_bad_language_is_refused_on_the_form(login, org, executive, months):
    response = login(executive).post(
        _url(org) + f"?period={months[2].pk}", {"action": "request", "language": "xx"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Briefing.objects.for_org(org).exists()


def test_hr_sets_the_schedule_an_executive_only_reads_it(login, org, hr, executive, months):
    client = login(hr)
    response = client.post(
        _url(org),
        {"action": "schedule", "enabled": "on", "working_day_after_close": "0", "language": "en"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert not BriefingSchedule.objects.for_org(org).exists()
    response = client.post(
        _url(org),
        {"action": "schedule", "enabled": "on", "working_day_after_close": "4", "language": "en"},
    )
    assert response.status_code == 302
    schedule = BriefingSchedule.objects.for_org(org).get()
    assert (schedule.enabled, schedule.working_day_after_close, schedule.language) == (
        True,
        4,
        "en",
    )
    exec_client = login(executive)
    assert (
        exec_client.post(
            _url(org),
            {"action": "schedule", "enabled": "", "working_day_after_close": "2", "language": "en"},
        ).status_code
        == 404
    )
    assert BriefingSchedule.objects.for_org(org).get().enabled
    assert 'name="working_day_after_close"' not in exec_client.get(_url(org)).content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_renders_in_both_languages(login, org, hr, book, language, settings):
    client = login(hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(_url(org))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    # the list's period and the requester whatever the language
    assert "2026-03" in page and "harry-hr" in page


def test_the_dashboard_links_to_the_books_for_those_who_read_them(login, org, hr, manager, months):
    link = 'id="briefings-link"'
    dashboard = reverse("company_dashboard", args=[org.slug])
    assert link in login(hr).get(dashboard).content.decode()
    assert link not in login(manager).get(dashboard).content.decode()


def test_the_schedule_job_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "briefings.send_scheduled" in tasks
