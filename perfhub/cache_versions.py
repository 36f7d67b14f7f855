"""Version tokens for cached renderings (the dashboard's body, the organization switcher).

A token names the current version of some data (`name`, e.g. one organization's
dashboard data); cache keys include it, so renewing the token makes every entry built
from the old data unreachable at once (they expire on their own). The token is renewed
when the current transaction commits. Readers read the token before the data, so an entry
computed while a change commits is stored under the old token, which no later request
asks for."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction


def _key(name: str) -> str:
    return f"perfhub:version:{name}"


def token(name: str) -> str:
    """The current token of `name` (one is made on first use)."""
    current = cache.get(_key(name))
    if current is None:
        current = uuid.uuid4().hex
        if not cache.add(_key(name), current, None):
            current = cache.get(_key(name)) or current
    return current


def renew(*names: str) -> None:
    """New tokens for these names once the current transaction commits (at once outside
    one)."""
    if names:
        transaction.on_commit(
            lambda: cache.set_many({_key(n): uuid.uuid4().hex for n in names}, None)
        )


def dashboard_name(org_id: int) -> str:
    """The token of one organization's company dashboard (scorecards.dashboard_cache)."""
    return f"dashboard:{org_id}"


def dashboard_stale(org_id: int) -> None:
    """What the company dashboard shows changed: stored scorecards (the roll-up), or the
    names, kinds, tree or settings of the organization, its departments, indicators, KPIs
    or periods. Called by name by every service that writes one of those (departments,
    metrics) and by the roll-up, so the lower apps need not import scorecards; renewed when
    the transaction commits."""
    renew(dashboard_name(org_id))
