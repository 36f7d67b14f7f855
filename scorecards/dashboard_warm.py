"""Warm dashboards: after a roll-up commits, the default view of the company dashboard of
each affected period is rendered and cached before anyone asks for it (issue 15 §4).

The default view is what an executive or HR gets: every department (scope None), no
filter, in each language of settings.LANGUAGES. Its heading and body are rendered by the
view's own code (scorecards.views.dashboard.dashboard_parts) and stored under the key the
view asks for (scorecards.dashboard_cache.body_key), so the first view after a change is a
cache hit, exactly as a repeat view. Caching the rendered body rather than storing
aggregates keeps one path from the scorecards to the page: nothing new to keep in step
with the template, and a warm body is byte for byte what the view would have rendered.

Flow: `scorecards.signals.recalculated` (sent by scorecards.tasks.recalculate once the
roll-up committed) → `on_recalculated` publishes `scorecards.warm_dashboards` when that
signal's transaction commits, with the data version it saw → the job renders the periods
(the affected ones and the period the dashboard opens on) unless a newer version came
since (a newer roll-up has its own job) or the body is already cached (a request was
faster). Warming only saves time: every failure is logged and swallowed, never failing the
recalculation or the alerts sent on the same signal; a missed warm costs one slow view.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import translation

from departments.jobs import OrgTask
from metrics import selectors as metric_selectors
from metrics.models import PendingRecalculation
from perfhub.celery import app as celery_app
from perfhub.celery import publish
from perfhub.tenancy import org_atomic

from . import dashboard_cache
from .selectors import scorecards as selectors
from .tasks import MAX_ATTEMPTS

log = logging.getLogger(__name__)
WARM_TASK = "scorecards.warm_dashboards"
# At most this many periods per warming (each about 0.1-0.2 s per language at 200
# departments): the one the dashboard opens on, then the most recent recalculated ones. A
# change that marks every open period (a template applied) keeps the worker busy seconds,
# not a minute; older periods are computed on their first view.
MAX_PERIODS = 8


def on_recalculated(sender, *, org, period_ids, **_kwargs) -> None:
    """Receiver of `scorecards.signals.recalculated`: publish the warming once the signal's
    transaction commits. Never raises (the other receivers still run)."""
    try:
        if not dashboard_cache.timeout():
            return
        org_id, ids = org.pk, list(period_ids)
        transaction.on_commit(lambda: warm_enqueue(org_id, ids), robust=True)
    except Exception:  # noqa: BLE001 - warming only saves time
        log.exception("warming the dashboards of organization %s not requested", org.pk)


def warm_enqueue(org_id: int, period_ids: list[int]) -> bool:
    """Publish the warming of these periods' dashboards for the current data version
    (perfhub.celery.publish: run here without a broker, as metrics.services.recalc does).
    Never raises; returns whether it was published."""
    try:
        version = dashboard_cache.version(org_id)
    except Exception:  # noqa: BLE001 - warming only saves time
        log.warning("could not warm the dashboards of organization %s", org_id, exc_info=True)
        return False
    kwargs = {"organization_id": org_id, "period_ids": period_ids, "version": version}
    return publish(WARM_TASK, kwargs)


# One warming at a time per organization (a cache key added with SET NX, released when
# it ends): a warming takes about a second at 200 departments, and during month-end saves
# several would otherwise fill every worker process while the saves' recalculations wait
# behind them. A warming that finds the key taken is published again a moment later (its
# version check then drops it if a newer roll-up came since).
RUNNING_SECONDS = 120
RETRY_SECONDS = 1
MAX_RETRIES = 60


def running_key(org_id: int) -> str:
    return f"perfhub:dashboard:warming:{org_id}"


@shared_task(
    base=OrgTask,
    bind=True,
    name=WARM_TASK,
    ignore_result=True,
    acks_late=False,
    one_transaction=False,
)
def warm_dashboards(
    self, org, period_ids: list[int], version: str | None = None, retries: int = 0
) -> int:
    """Render and cache the default dashboard of the period it opens on and of these
    periods (the most recent MAX_PERIODS in all) in every language; returns how many
    bodies were rendered. Nothing
    when the data version is no longer `version`: a newer change has made them stale and,
    if it was a roll-up, published its own warming."""
    key = running_key(org.pk)
    locked = not celery_app.conf.task_always_eager and cache.add(key, "1", RUNNING_SECONDS)
    if locked is False and not celery_app.conf.task_always_eager:
        if retries < MAX_RETRIES and dashboard_cache.version(org.pk) == version:
            self.apply_async(
                kwargs={
                    "organization_id": org.pk,
                    "period_ids": period_ids,
                    "version": version,
                    "retries": retries + 1,
                },
                countdown=RETRY_SECONDS,
            )
        return 0
    try:
        with org_atomic(org):
            return warm(org=org, period_ids=period_ids, version=version)
    except Exception:  # noqa: BLE001 - warming only saves time; the first view computes
        log.exception("warming the dashboards of organization %s failed", org.pk)
        return 0
    finally:
        if locked:
            cache.delete(key)


def later_key(org_id: int) -> str:
    """The periods a warming left to the next one (a roll-up was on its way, or the data
    changed while it rendered): a list of ids in the cache."""
    return f"perfhub:dashboard:warm-later:{org_id}"


def _leave(org_id: int, period_ids) -> None:
    """Hand these periods to the next warming (which the next roll-up publishes). Not
    atomic with a concurrent warming's read: a period lost here is computed on its first
    view, as any body is without a warming."""
    kept = set(cache.get(later_key(org_id)) or ()) | {int(p) for p in period_ids}
    cache.set(later_key(org_id), sorted(kept), dashboard_cache.timeout())


def _take(org_id: int) -> set[int]:
    left = set(cache.get(later_key(org_id)) or ())
    if left:
        cache.delete(later_key(org_id))
    return left


def warm(*, org, period_ids, version: str | None = None) -> int:
    """What warm_dashboards does, in the caller's org_atomic(org).

    Nothing is rendered while a recalculation of the organization is still due (marks
    remain: month-end saves keep coming): that run changes the data again and publishes
    its own warming, which renders these periods too (handed over in `later_key`). So a
    burst of saves costs the worker one warming at its end, not one per run competing with
    the runs; the body of the period the dashboard opens on is warm as soon as the marks
    are drained. The data version is checked again before each body: a body rendered from
    data that changed meanwhile would never be served."""
    if not dashboard_cache.timeout():
        return 0
    if version is not None and dashboard_cache.version(org.pk) != version:
        _leave(org.pk, period_ids)  # a newer change: its roll-up's warming renders them
        return 0
    if _recalculation_due(org):
        _leave(org.pk, period_ids)
        return 0
    period_ids = set(period_ids) | _take(org.pk)
    version = dashboard_cache.version(org.pk)
    opening = metric_selectors.period_pick(
        org=org,
        wanted=None,
        defaults=(metric_selectors.PICK_WITH_DATA, metric_selectors.PICK_CURRENT),
        latest_with_data=selectors.latest_month_with_data,  # as the page (period_for_page)
    )
    recalculated = metric_selectors.period_list(org=org).filter(pk__in=period_ids)
    periods = [] if opening is None else [opening]
    for period in recalculated.order_by("-end", "-start"):
        if len(periods) >= MAX_PERIODS:
            break
        if opening is None or period.pk != opening.pk:
            periods.append(period)
    rendered = 0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for period in periods:
                if dashboard_cache.version(org.pk) != version:
                    _leave(org.pk, [p.pk for p in periods])
                    return rendered
                rendered += _warm_one(org, period, language)
    return rendered


def _recalculation_due(org) -> bool:
    """Whether marks wait for a recalculation run (that run will warm after it)."""
    return PendingRecalculation.objects.for_org(org).filter(attempts__lt=MAX_ATTEMPTS).exists()


def _warm_one(org, period, language: str) -> int:
    from .views.dashboard import dashboard_parts  # the view's own rendering

    key = dashboard_cache.body_key(
        org_id=org.pk, period_id=period.pk, params=(), scope=None, language=language
    )
    if cache.get(key) is not None:
        return 0
    parts = dashboard_parts(_default_request(org, period, language), period, visible=None)
    cache.set(key, parts, dashboard_cache.timeout())
    return 1


def _default_request(org, period, language: str) -> HttpRequest:
    """A GET of `/o/<org>/dashboard/?period=<id>` by a member who sees every department: all
    the body's template reads of the request (path, query string, organization)."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = reverse("company_dashboard", args=[org.slug])
    request.GET = QueryDict(f"period={period.pk}")
    request.META.update(SERVER_NAME="localhost", SERVER_PORT="443")
    request.org = org  # type: ignore[attr-defined]
    request.membership = None  # type: ignore[attr-defined]
    request.user = AnonymousUser()
    request.LANGUAGE_CODE = language
    return request
