"""Warm dashboards (scorecards.dashboard_warm): after a roll-up commits, the default view of
each affected period is in the cache, in every language, before anyone asks."""

import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from departments.models import Role
from metrics.services.recalc import recalculation_mark
from perfhub.celery import app as celery_app
from scorecards import dashboard_cache, dashboard_warm
from scorecards.tasks import recalculate
from tests.factories import MembershipFactory, UserFactory, make_department


@pytest.fixture(autouse=True)
def eager():
    """The jobs run here, as without a broker (the warming is published like any job)."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def month_quarter_year(computed):
    month = computed["month"]
    periods = computed["periods"]
    quarter = next(p for p in periods if p.kind == "quarter" and p.start <= month.start <= p.end)
    year = next(p for p in periods if p.kind == "year")
    return [month, quarter, year]


def _default_key(org, period, language):
    return dashboard_cache.body_key(
        org_id=org.pk, period_id=period.pk, params=(), scope=None, language=language
    )


def _roll_up(org, periods, capture):
    """The recalculation job, as a worker runs it, up to its transactions' commits."""
    with capture(execute=True):
        # A run drains what is marked (the marks are the job's input, not a period list).
        recalculation_mark(org=org, periods=periods)
    with capture(execute=True):
        result = recalculate.apply(kwargs={"organization_id": org.pk})
    assert result.successful(), result.traceback
    return result.get()


def test_a_roll_up_warms_the_default_body_of_each_affected_period_in_every_language(
    org, computed, month_quarter_year, django_capture_on_commit_callbacks
):
    cache.clear()
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    for language, _name in settings.LANGUAGES:
        for period in month_quarter_year:
            heading, body = cache.get(_default_key(org, period, language))
            with translation.override(language):
                assert str(period.label) in heading and "comparison-chart" in body
    # Each language in its own words.
    assert "Company index" in cache.get(_default_key(org, month_quarter_year[0], "en"))[1]
    assert "Company index" not in cache.get(_default_key(org, month_quarter_year[0], "zh-hans"))[1]
    # A period the roll-up did not touch (and the dashboard does not open on) stays cold.
    untouched = next(p for p in computed["periods"] if p.kind == "month" and p.number == 7)
    assert cache.get(_default_key(org, untouched, "en")) is None


def test_the_first_view_after_a_roll_up_is_a_cache_hit_as_cheap_as_a_repeat_view(
    client,
    executive,
    org,
    computed,
    month_quarter_year,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    client.force_login(executive)
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    client.get(url)
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(4 + 5) as first:  # as test_dashboard's served view
        first_view = client.get(url)
    assert "ranking" not in first_view.context  # not computed: served from the cache
    with django_assert_num_queries(len(first.captured_queries)):
        repeat = client.get(url)
    assert repeat.context["body"] == first_view.context["body"]
    # The warm body is exactly what this view renders itself.
    cache.clear()
    computed_view = client.get(url)
    assert "ranking" in computed_view.context
    assert computed_view.context["body"] == first_view.context["body"]


def test_the_dashboard_opened_without_a_period_and_the_empty_filters_reuse_the_warm_body(
    client, executive, org, computed, month_quarter_year, django_capture_on_commit_callbacks
):
    client.force_login(executive)
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    base = f"/o/{org.slug}/dashboard/"
    for url in (base, f"{base}?period={computed['month'].pk}&kind=&function=&parent="):
        page = client.get(url)
        assert page.status_code == 200 and "ranking" not in page.context, url
        assert "Sales" in page.content.decode()
    # A filter chosen is another page: computed.
    assert "ranking" in client.get(f"{base}?period={computed['month'].pk}&kind=business").context


def test_a_manager_is_never_served_the_whole_company_body(
    client, manager, org, computed, month_quarter_year, django_capture_on_commit_callbacks
):
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/dashboard/?period={computed['month'].pk}")
    assert "ranking" in page.context  # their own scope: computed, not the warm body
    assert [c.department.code for c in page.context["ranking"]] == ["sales"]


def test_warm_bodies_stay_in_their_organization(
    client,
    org,
    other_org,
    computed,
    month_quarter_year,
    django_capture_on_commit_callbacks,
):
    """Another organization's member asking for this organization's period id gets their
    own page, never the warm body (the key holds the organization)."""
    from metrics.services.periods import periods_generate

    periods_generate(org=other_org, fiscal_year=2026, by=None)
    make_department(other_org, code="ops", name="运营部", name_en="Operations")
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    assert cache.get(_default_key(org, computed["month"], "en")) is not None
    outsider = UserFactory(username="gina-globex")
    MembershipFactory(organization=other_org, user=outsider, role=Role.EXECUTIVE)
    client.force_login(outsider)
    page = client.get(f"/o/{other_org.slug}/dashboard/?period={computed['month'].pk}")
    assert page.status_code in (200, 404)
    content = page.content.decode()
    assert "Sales" not in content and "销售部" not in content
    assert cache.get(_default_key(other_org, computed["month"], "en")) is None


def test_a_warming_failure_never_fails_the_recalculation(
    org, computed, month_quarter_year, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from scorecards.views import dashboard as dashboard_views

    def broken(*args, **kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr(dashboard_views, "dashboard_parts", broken)
    alerts = []
    from scorecards.signals import recalculated

    def alerts_receiver(sender, **kwargs):
        alerts.append(kwargs["period_ids"])

    recalculated.connect(alerts_receiver, dispatch_uid="test-alerts", weak=False)
    try:
        with caplog.at_level(logging.ERROR, logger="scorecards.dashboard_warm"):
            figures = _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    finally:
        recalculated.disconnect(dispatch_uid="test-alerts")
    assert figures["periods"] == 3 and figures["scorecards"] > 0
    assert alerts == [[p.pk for p in month_quarter_year]]  # the other receivers still ran
    assert "template broken" in caplog.text
    assert cache.get(_default_key(org, computed["month"], "en")) is None


def test_a_failure_to_publish_the_warming_never_fails_the_recalculation(
    org, computed, month_quarter_year, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    celery_app.conf.task_always_eager = False  # restored by the `eager` fixture
    monkeypatch.setattr(celery_app, "send_task", down)
    figures = _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    assert figures["periods"] == 3


def test_a_warming_for_an_older_data_version_does_nothing(org, computed, month_quarter_year):
    ids = [p.pk for p in month_quarter_year]
    assert dashboard_warm.warm(org=org, period_ids=ids, version="not-the-current-one") == 0
    assert cache.get(_default_key(org, computed["month"], "en")) is None
    current = dashboard_cache.version(org.pk)
    languages = len(settings.LANGUAGES)
    assert dashboard_warm.warm(org=org, period_ids=ids, version=current) == 3 * languages
    # Already warm (a request or another job was faster): nothing rendered twice.
    assert dashboard_warm.warm(org=org, period_ids=ids, version=current) == 0


def test_with_the_cache_off_nothing_is_warmed(
    org, computed, month_quarter_year, settings, django_capture_on_commit_callbacks
):
    settings.PERFHUB_DASHBOARD_CACHE_SECONDS = 0
    _roll_up(org, month_quarter_year, django_capture_on_commit_callbacks)
    assert dashboard_warm.warm(org=org, period_ids=[month_quarter_year[0].pk]) == 0


def test_a_body_computed_while_a_roll_up_commits_is_not_served_after_it(
    client, executive, org, computed, monkeypatch
):
    """The key's data version is read before the data: a body computed across a change
    is stored under the old version, which no later request asks for."""
    from perfhub import cache_versions
    from scorecards.selectors import dashboard as dashboard_selectors

    real = dashboard_selectors.dashboard

    def across_a_commit(**kwargs):
        data = real(**kwargs)
        # A roll-up commits meanwhile: a new version of the organization's dashboard.
        cache.delete(cache_versions._key(cache_versions.dashboard_name(org.pk)))
        return data

    monkeypatch.setattr(dashboard_selectors, "dashboard", across_a_commit)
    client.force_login(executive)
    url = f"/o/{org.slug}/dashboard/?period={computed['month'].pk}"
    assert "ranking" in client.get(url).context
    monkeypatch.setattr(dashboard_selectors, "dashboard", real)
    assert "ranking" in client.get(url).context  # computed again, not the stale body
    assert "ranking" not in client.get(url).context


def test_a_warming_renders_the_opening_period_then_the_most_recent_ones(org, computed, monkeypatch):
    """A change that marks every period (a template applied) warms MAX_PERIODS of them."""
    monkeypatch.setattr(dashboard_warm, "MAX_PERIODS", 3)
    ids = [p.pk for p in computed["periods"]]
    assert dashboard_warm.warm(org=org, period_ids=ids) == 3 * len(settings.LANGUAGES)
    from metrics import selectors as metric_selectors
    from scorecards.selectors.scorecards import latest_month_with_data

    opening = metric_selectors.period_pick(  # as the page without ?period= picks it
        org=org,
        wanted=None,
        defaults=(metric_selectors.PICK_WITH_DATA, metric_selectors.PICK_CURRENT),
        latest_with_data=latest_month_with_data,
    )
    assert opening == computed["month"]  # the month the dashboard opens on, not the year
    others = [p for p in computed["periods"] if p.pk != opening.pk]
    latest = sorted(others, key=lambda p: (p.end, p.start))[-2:]
    for period in [opening, *latest]:
        assert cache.get(_default_key(org, period, "en")) is not None, period
    older = next(p for p in computed["periods"] if p.kind == "month" and p.number == 1)
    assert cache.get(_default_key(org, older, "en")) is None


def test_one_warming_at_a_time_per_organization_the_next_one_waits_its_turn(
    org, computed, month_quarter_year, monkeypatch
):
    """A warming that finds another one of its organization running renders nothing and is
    published again a second later (it would otherwise hold a worker process the saves'
    recalculations need); once the key is free, it renders."""
    from scorecards.dashboard_warm import running_key, warm_dashboards

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    republished = []
    monkeypatch.setattr(warm_dashboards, "apply_async", lambda **kw: republished.append(kw))
    ids = [p.pk for p in month_quarter_year]
    version = dashboard_cache.version(org.pk)
    cache.set(running_key(org.pk), "1", 60)  # another warming runs
    assert (
        warm_dashboards.apply(
            kwargs={"organization_id": org.pk, "period_ids": ids, "version": version}
        ).get()
        == 0
    )
    assert cache.get(_default_key(org, computed["month"], "en")) is None
    assert len(republished) == 1 and republished[0]["countdown"] == 1
    assert republished[0]["kwargs"]["retries"] == 1
    # A newer version came meanwhile: dropped, the newer roll-up warms.
    assert (
        warm_dashboards.apply(
            kwargs={"organization_id": org.pk, "period_ids": ids, "version": "old"}
        ).get()
        == 0
    )
    assert len(republished) == 1
    cache.delete(running_key(org.pk))
    rendered = warm_dashboards.apply(
        kwargs={"organization_id": org.pk, "period_ids": ids, "version": version}
    ).get()
    assert rendered == 3 * len(settings.LANGUAGES)
    assert cache.get(running_key(org.pk)) is None  # released


def test_a_warming_waits_while_a_recalculation_is_due_and_hands_its_periods_over(
    org, sales, computed, month_quarter_year
):
    """Month-end: more saves came while the roll-up ran. Its warming renders nothing (the
    next run changes the data again) and leaves its periods to that run's warming, which
    renders them with its own."""
    cache.clear()
    month, quarter, year = month_quarter_year
    other = next(p for p in computed["periods"] if p.kind == "month" and p.number == 7)
    recalculation_mark(org=org, periods=[other], departments=[sales])
    assert dashboard_warm.warm(org=org, period_ids=[month.pk, quarter.pk]) == 0
    assert cache.get(_default_key(org, month, "en")) is None
    from metrics.models import PendingRecalculation

    PendingRecalculation.objects.for_org(org).delete()  # the next run drained them
    rendered = dashboard_warm.warm(org=org, period_ids=[other.pk])
    for period in (month, quarter, other):
        assert cache.get(_default_key(org, period, "en")) is not None, period
    assert rendered == 3 * len(settings.LANGUAGES)
    assert cache.get(dashboard_warm.later_key(org.pk)) is None
