"""The organization switcher of every page, cached per user.

The list (the user's memberships with their organizations) changes only when a membership
of the user or one of their organizations changes; a version token per user
(perfhub.cache_versions) is renewed then, when the transaction commits (departments.apps
connects the signals). The switcher only shows links: access is checked on every request
by the membership lookup (departments.access), never from this list."""

from __future__ import annotations

from django.core.cache import cache

from perfhub import cache_versions

from .selectors import membership_list_for_user

SECONDS = 600  # a safety net; the token is what invalidates


def _name(user_id: int) -> str:
    return f"switcher:{user_id}"


def memberships(user) -> list:
    """membership_list_for_user, from the cache when nothing changed since."""
    key = f"perfhub:switcher:{user.pk}:{cache_versions.token(_name(user.pk))}"
    rows = cache.get(key)
    if rows is None:
        rows = membership_list_for_user(user=user)
        cache.set(key, rows, SECONDS)
    return rows


def forget(user_ids) -> None:
    """New versions for these users once the current transaction commits."""
    cache_versions.renew(*(_name(u) for u in set(user_ids) if u is not None))
