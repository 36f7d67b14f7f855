"""The company dashboard's rendered body, cached per organization data version.

What the body shows comes from stored scorecards (written only by the roll-up) and the
names, kinds and tree of departments, indicators and periods. A version token per
organization changes when a roll-up commits and when a service writes one of those rows:
each calls `perfhub.cache_versions.dashboard_stale(org_id)` by name. The key of a body
holds that token, the period, the filters, the member's scope, the language and the release
(templates and catalogs), so a body is only reused for exactly the same page of the same
data. The pending banner, the navigation and the forms are rendered per request. After each
roll-up the default view's body of the affected periods is rendered ahead of the first
request (scorecards.dashboard_warm).

One version per organization, not per (organization, period): a period's body also reads
the previous period of its kind, the last 12 (trend, departments over time) and 6
(fairness) of its kind, and the organization's names, tree and periods, so a save in month
M changes the bodies of M, of the 12 months after it and of their quarters and years; a
per-period version would have to be renewed for all of those by the roll-up, and for every
period by the services. What it would save is the first view of the periods nobody
recalculated; the default view executives get is warmed after every roll-up either way.

A version read before the data makes a race harmless: a body computed while a roll-up
commits is stored under the old token, which no later request asks for."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from perfhub import cache_versions

from .selectors.compare import YOY


def timeout() -> int:
    """Seconds a body is kept (PERFHUB_DASHBOARD_CACHE_SECONDS, default 600: a safety net,
    the version token is what invalidates); 0 turns the cache off."""
    return int(getattr(settings, "PERFHUB_DASHBOARD_CACHE_SECONDS", 600))


def _release() -> str:
    """Changes when the dashboard's template, its period picker or a compiled catalog
    changes (a deploy)."""
    digest = hashlib.sha256()
    files = [
        Path(__file__).parent / "templates/scorecards/dashboard.html",
        # ... and what its body includes
        Path(__file__).parent / "templates/scorecards/_follow_up.html",
        Path(__file__).parent / "templates/scorecards/_delta.html",
        Path(__file__).parent / "templates/scorecards/_compare_toggle.html",
        Path(settings.BASE_DIR, "templates/_period_picker.html"),  # in the cached heading
        # ... and what the picker's options are made by
        Path(settings.BASE_DIR, "metrics/templatetags/period_tags.py"),
        Path(settings.BASE_DIR, "metrics/period_menu.py"),
    ]
    files += sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.mo"))
    for path in files:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


RELEASE = _release()


def version(org_id: int) -> str:
    """The current data version of the organization's dashboard (renewed by
    `perfhub.cache_versions.dashboard_stale`)."""
    return cache_versions.token(cache_versions.dashboard_name(org_id))


def body_key(*, org_id: int, period_id: int, params, scope, language: str) -> str:
    """The key of the body of period `period_id` for the query string's `params` (pairs),
    the member's `scope` (None: every department, as admin, HR and executives see it; else
    the sorted department ids) and the `language`.

    The period is the key's own part, so `?period=` and the filters left empty (`?kind=`)
    do not count: `/dashboard/`, `/dashboard/?period=<id>` and the filter form sent with
    nothing chosen share the default view's body, the one the warm dashboards render
    (scorecards.dashboard_warm). `part` (the tables loaded when opened) is never cached.
    The comparison (`compare`) counts only when it is not the default: `?compare=pop`
    (环比, as the page opens) shares the warmed body, `?compare=yoy` (同比) has its own."""
    filters = sorted(
        (k, v)
        for k, v in params
        if v and k not in ("period", "part") and not (k == "compare" and v != YOY)
    )
    parts = (period_id, filters, scope, language)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"perfhub:dashboard:body:{org_id}:{version(org_id)}:{RELEASE}:{digest}"
