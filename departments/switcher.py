"""The organization switcher of every page, cached per user.

The list (the user's memberships with their organizations) changes only when a membership
of the user or one of their organizations changes; a version token per user is renewed
then (departments.apps connects the signals), when the transaction commits. A list read
while a change commits is stored under the old token, which no later request asks for.
The switcher only shows links: access is checked on every request by the membership
lookup (departments.access), never from this list."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

from .selectors import membership_list_for_user

SECONDS = 600  # a safety net; the token is what invalidates


def _version_key(user_id: int) -> str:
    return f"perfhub:switcher:version:{user_id}"


def _version(user_id: int) -> str:
    token = cache.get(_version_key(user_id))
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(_version_key(user_id), token, None):
            token = cache.get(_version_key(user_id)) or token
    return token


def memberships(user) -> list:
    """membership_list_for_user, from the cache when nothing changed since."""
    key = f"perfhub:switcher:{user.pk}:{_version(user.pk)}"
    rows = cache.get(key)
    if rows is None:
        rows = membership_list_for_user(user=user)
        cache.set(key, rows, SECONDS)
    return rows


def forget(user_ids) -> None:
    """New tokens for these users once the current transaction commits."""
    keys = [_version_key(u) for u in set(user_ids) if u is not None]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))
