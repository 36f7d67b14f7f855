"""Tenant scoping for every tenant-owned model.

Every tenant-owned table carries `organization_id` (child rows too, denormalised) so each
query filters on it without joins, and so the database can later be distributed by it.

`TenantModel.objects` refuses to run a query that is not scoped to an organization: a
queryset must be narrowed by `.for_org(org)` (or a filter on `organization`), or be the
related manager of an already-loaded row (``department.kpis.all()``), before it is evaluated.
Anything else raises `UnscopedQueryError` instead of returning every tenant's rows. The
named escape hatch, for migrations, operators' admin and cross-tenant jobs that then scope
each row themselves, is `.unscoped()`.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried without an organization."""


_SCOPING_KEYS = ("organization", "organization_id", "organization__in", "organization_id__in")


class TenantQuerySet(models.QuerySet):
    _org_scoped = False

    def _clone(self):
        clone = super()._clone()
        clone._org_scoped = self._org_scoped
        return clone

    def for_org(self, org) -> TenantQuerySet:
        """Rows of one organization (an Organization or its id)."""
        org_id = getattr(org, "pk", org)
        if org_id is None:
            raise UnscopedQueryError(f"{self.model.__name__}: for_org() needs an organization")
        qs = self.filter(organization_id=org_id)
        qs._org_scoped = True
        return qs

    def unscoped(self) -> TenantQuerySet:
        """Escape hatch: every tenant's rows. Only for migrations, the operators' admin and
        jobs that iterate organizations and scope each step themselves."""
        qs = self._clone()
        qs._org_scoped = True
        return qs

    def none(self) -> TenantQuerySet:
        qs = super().none()
        qs._org_scoped = True  # nothing to leak
        return qs

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = super()._filter_or_exclude(negate, args, kwargs)
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

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._check_scoped()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scoped()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scoped()
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        self._check_scoped()
        return super().delete()

    delete.alters_data = True


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    use_in_migrations = False


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model: the organization and the scoped manager."""

    organization = models.ForeignKey(
        "departments.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
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
