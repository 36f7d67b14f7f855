"""Tenant scoping for every tenant-owned model.

Every tenant-owned table carries `organization_id` (child rows too, denormalised) so each
query filters on it without joins, and so the database can later be distributed by it.

`TenantModel.objects` refuses to run a query that is not scoped to an organization: a
queryset must be narrowed by `.for_org(org)` (or a filter on `organization`), or be the
related manager of an already-loaded row (``department.kpis.all()``), before it is evaluated.
Anything else raises `UnscopedQueryError` instead of returning every tenant's rows. The
named escape hatch, for migrations and code that narrows the rows itself (the user's own
memberships), is `.unscoped()`: on PostgreSQL row-level security still shows only what the
transaction's setting allows.

The database enforces the same on PostgreSQL with row-level security (perfhub.rls): the
second half of this module sets, per transaction, which organization it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Self, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.http import Http404


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried without an organization."""


_SCOPING_KEYS = ("organization", "organization_id", "organization__in", "organization_id__in")

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M]):
    _org_scoped = False
    _hints: dict[str, Any]  # Django's, private: not in django-stubs

    # _clone and _filter_or_exclude are Django's private API (django-stubs omits them).
    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._org_scoped = self._org_scoped
        return clone

    def for_org(self, org: object) -> Self:
        """Rows of one organization (an Organization or its id)."""
        org_id = getattr(org, "pk", org)
        if org_id is None:
            raise UnscopedQueryError(f"{self.model.__name__}: for_org() needs an organization")
        qs = self.filter(organization_id=org_id)
        qs._org_scoped = True
        return qs

    def unscoped(self) -> Self:
        """Escape hatch: no organization filter. Only for migrations and queries narrowed
        otherwise (a user's own memberships); on PostgreSQL row-level security still shows
        only what the transaction's setting allows."""
        qs = self._clone()
        qs._org_scoped = True
        return qs

    def none(self) -> Self:
        qs = super().none()
        qs._org_scoped = True  # nothing to leak
        return qs

    def _filter_or_exclude(
        self, negate: bool, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Self:
        clone: Self = super()._filter_or_exclude(negate, args, kwargs)  # type: ignore[misc]
        keys = [k for k in _SCOPING_KEYS if k in kwargs]
        if not negate and keys and all(kwargs[k] is not None for k in keys):
            clone._org_scoped = True
        return clone

    def _check_scoped(self) -> None:
        if self._org_scoped:
            return
        # Related managers and prefetches of a row that was itself loaded through a scoped
        # query add the row as a hint: they are scoped by that row.
        if self._hints.get("instance") is not None:
            return
        raise UnscopedQueryError(
            f"Query on tenant model {self.model.__name__} without an organization: "
            "use .for_org(org) (or .unscoped() where every tenant is meant)."
        )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Iterator[_M]:
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        if self._result_cache is None:
            self._check_scoped()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._check_scoped()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    # update() and delete() keep Django's alters_data flag (QuerySet is AltersData).
    def update(self, **kwargs: Any) -> int:
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scoped()
        return super().delete()


_TenantManagerBase = models.Manager.from_queryset(TenantQuerySet)


def get_or_404(qs: models.QuerySet[_M], pk: object) -> _M:
    """The row of this (already scoped) queryset, or 404 for a missing or foreign id.

    How every selector's ``*_get`` turns "not in this organization" into a 404: another
    tenant's id, a deleted row and a malformed id (``"abc"``) look the same."""
    try:
        return qs.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


class TenantManager(_TenantManagerBase[_M]):
    use_in_migrations = False


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model: the organization and the scoped manager."""

    organization = models.ForeignKey(
        "departments.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """A unique constraint over (organization, one field) is reported on that field
        ("code: Indicator with this Code already exists."), not as a non-field error: the
        organization is implied, the field is what the user must change."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            kept = []
            for error in errors.pop(NON_FIELD_ERRORS, []):
                fields = [
                    f
                    for f in (getattr(error, "params", None) or {}).get("unique_check", ())
                    if f != "organization"
                ]
                if error.code == "unique_together" and len(fields) == 1:
                    field_error = self.unique_error_message(type(self), (fields[0],))
                    errors.setdefault(fields[0], []).append(field_error)
                else:
                    kept.append(error)
            if kept:
                errors[NON_FIELD_ERRORS] = kept
            raise ValidationError(errors) from exc


# --- The database's half: PostgreSQL row-level security ---------------------------------
#
# Every table with an organization_id column has a policy (perfhub.rls) that shows and
# accepts only the rows of the organization named by the transaction-local setting
# `perfhub.org_id`; with no setting a query sees no rows. The settings below are only ever
# made with set_config(..., true), i.e. SET LOCAL: they end with the transaction, so a pooled
# or persistent connection never carries one into the next request or job.
#
# - activate_org: the one organization of a request (departments.access) or a job
#   (departments.jobs.OrgTask, org_atomic).
# - activate_user: the memberships of one user, in every organization (sign-in landing,
#   organization switcher); nothing else of those organizations.
# - SYSTEM_SETTING (`perfhub.system`): every organization's rows, but only for a role that
#   is a member of the database role perfhub_system (perfhub.rls). The application role
#   never is, so nothing here turns it on: for the application it does nothing. The
#   cross-tenant reads the product needs are SECURITY DEFINER functions returning ids
#   (metrics.selectors.pending_organization_ids); the operators' admin works in one
#   organization at a time (perfhub.admin). The tests' own connection uses the setting for
#   factories and assertions (tests/conftest.py); activate_org turns it off.
#
# SQLite (the `make run` demo) has no row-level security: these do nothing there.

ORG_SETTING = "perfhub.org_id"
USER_SETTING = "perfhub.user_id"
SYSTEM_SETTING = "perfhub.system"


class TransactionRequired(RuntimeError):
    """A database tenant setting was made outside a transaction, where it would vanish
    with the statement that made it."""


def _set_local(using: str, values: dict[str, str]) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise TransactionRequired(
            "The database tenant setting lasts one transaction: open one first "
            "(transaction.atomic(), or tenancy.org_atomic(org))."
        )
    sql = ", ".join("set_config(%s, %s, true)" for _ in values)
    params = [item for pair in values.items() for item in pair]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)


def _org_id(org: Any) -> int:
    org_id = getattr(org, "pk", org)
    if org_id is None:
        raise UnscopedQueryError("activate_org() needs an organization")
    return int(org_id)


def activate_org(org: object, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """For the rest of the current transaction the database shows and accepts the rows of
    this organization only (and turns a system setting off)."""
    _set_local(using, {ORG_SETTING: str(_org_id(org)), SYSTEM_SETTING: ""})


def activate_user(user: Any, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """For the rest of the current transaction the database also shows this user's own
    memberships in every organization (and nothing else of those organizations)."""
    user_id = getattr(user, "pk", user)
    _set_local(using, {USER_SETTING: "" if user_id is None else str(int(user_id))})


def _current(using: str, names: Sequence[str]) -> dict[str, str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join("current_setting(%s, true)" for _ in names), list(names)
        )
        return dict(zip(names, cursor.fetchone(), strict=True))


@contextmanager
def _scoped(activate: Callable[[], None], using: str) -> Iterator[None]:
    """atomic() with a tenant setting; when nested in a transaction, the outer setting is
    restored on the way out (a rolled-back savepoint restores it by itself)."""
    connection = connections[using]
    nested = connection.in_atomic_block and connection.vendor == "postgresql"
    with transaction.atomic(using=using):
        previous = _current(using, (ORG_SETTING, SYSTEM_SETTING)) if nested else None
        activate()
        yield
        if previous is not None and not connection.needs_rollback:
            _set_local(using, {k: v or "" for k, v in previous.items()})


def org_atomic(org: object, *, using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager[None]:
    """A transaction (a savepoint when nested) in which the database shows this
    organization's rows only: how a job or command opens each of its transactions."""
    return _scoped(lambda: activate_org(org, using=using), using)


@contextmanager
def user_visible(user: object, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the current transaction (or one opened for the block), the database also
    shows the user's own memberships in every organization."""
    connection = connections[using]
    if connection.in_atomic_block or connection.vendor != "postgresql":
        activate_user(user, using=using)
        yield
        return
    with transaction.atomic(using=using):
        activate_user(user, using=using)
        yield
