"""Values that need sign-off (docs/scoring.md, "Values that need confirmation").

HR names who confirms a KPI's values (`kpi_confirmer_set`, or the KPI grid and API through
`kpi_update`/`kpis_update_grid`); a value entered for it is stored as pending
(`after_entry`, called by `actuals_save`); the confirmer confirms or rejects it
(`actuals_confirm`, `actuals_reject`). Scoring reads the generated column
`Actual.counted_value` (metrics.scoring.counted_value): a pending or rejected value counts
with the one confirmed before it, and not at all when none was.

Decisions:
- Turning sign-off on retracts nothing: the values stored before count as they were (their
  status stays "none"), a later change of one of them waits for confirmation.
- Turning it off releases what waits in open periods: those values count as entered.
- Whoever may confirm may confirm their own entry (HR entering and confirming, a finance
  manager entering finance's numbers): the confirmation is still a step of its own,
  recorded with its author, and an organization that wants four eyes names another
  confirmer.
- Admins may confirm any KPI's values (they can do everything); otherwise the named role
  or a manager of the named department (directly or through a parent department)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Role
from departments.permissions import can_confirm_kpi
from perfhub.cache_versions import dashboard_stale
from perfhub.history import history_context

from .. import scoring
from ..models import Actual, Kpi, PeriodStatus, SignOff
from ..signals import actuals_rejected
from .history import record_history_without_triggers
from .recalc import recalculation_mark_changes

REASON_MAX = 2000
# The roles a KPI may name as its confirmer (managers confirm through their department).
CONFIRMING_ROLES = (Role.HR, Role.EXECUTIVE, Role.ADMIN)


@dataclass(frozen=True)
class AfterEntry:
    """An actual's sign-off once a value is saved over `stored`: its status, the value
    confirmed before (what counts meanwhile), whether the last confirmation or rejection
    stays on the row (a note-only change) and whether the value that counts changed."""

    status: str
    confirmed: Decimal | None
    keeps_review: bool
    changes_score: bool


def after_entry(*, needs_confirmation: bool, stored, value: Decimal) -> AfterEntry:
    """The sign-off of an actual after `value` is saved over `stored` (a row with value,
    status and confirmed_value; None when new). A changed value of a KPI that needs
    confirmation waits for it, the value counting before keeps counting meanwhile; a note
    changed alone keeps the status (a rejected value is sent back for confirmation)."""
    if stored is None:
        if needs_confirmation:
            return AfterEntry(SignOff.PENDING, None, False, False)
        return AfterEntry(SignOff.NONE, None, False, True)
    before = scoring.counted_value(stored.value, stored.status, stored.confirmed_value)
    if not needs_confirmation:
        status, confirmed, keeps = SignOff.NONE.value, stored.confirmed_value, False
    elif value == stored.value and stored.status != SignOff.REJECTED:
        status, confirmed, keeps = stored.status, stored.confirmed_value, True
    elif value == stored.value:
        status, confirmed, keeps = SignOff.PENDING.value, stored.confirmed_value, False
    else:
        status, confirmed, keeps = SignOff.PENDING.value, before, False
    after = scoring.counted_value(value, status, confirmed)
    return AfterEntry(status, confirmed, keeps, after != before)


class SignOffRefused(Exception):
    """Nothing was confirmed or rejected. `errors` maps a value's id (or a field) to its
    messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("sign-off refused")
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]


def _load(org, membership, items: Iterable[tuple[int, int]]) -> tuple[list[Actual], dict]:
    """The pending actuals named by (id, version), locked; with every refusal by id."""
    wanted = dict(items)
    if not wanted:
        raise SignOffRefused({"actuals": [_("Select at least one value.")]})
    rows = list(
        Actual.objects.for_org(org)
        .filter(pk__in=list(wanted))
        .select_related("kpi__indicator", "kpi__confirm_department", "period", "department")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    errors: dict[str, list[str]] = {}
    found = {a.pk for a in rows}
    for pk in wanted:
        if pk not in found:
            errors[str(pk)] = [_("Unknown value.")]
    for actual in rows:
        name = f"{actual.kpi.indicator.display_name} · {actual.period.label}"
        if not can_confirm_kpi(membership, actual.kpi):
            errors[str(actual.pk)] = [
                _("%(name)s: you may not confirm this KPI's values.") % {"name": name}
            ]
        elif actual.version != wanted[actual.pk]:
            errors[str(actual.pk)] = [
                _("%(name)s: the value changed since you opened the page; look at it again.")
                % {"name": name}
            ]
        elif actual.status != SignOff.PENDING:
            errors[str(actual.pk)] = [
                _("%(name)s: the value no longer awaits confirmation.") % {"name": name}
            ]
        elif actual.period.status == PeriodStatus.LOCKED:
            errors[str(actual.pk)] = [
                _("%(name)s: the period is locked; HR must reopen it first.") % {"name": name}
            ]
    return rows, errors


@transaction.atomic
def actuals_confirm(*, org, by, membership, items: Iterable[tuple[int, int]]) -> int:
    """Confirm the pending values named by (actual id, version read): all or none. The
    confirmed value counts from now on; its (period, department) are marked for
    recalculation in this transaction. Raises SignOffRefused. Returns how many."""
    rows, errors = _load(org, membership, items)
    if errors:
        raise SignOffRefused(errors)
    ids = [a.pk for a in rows]
    with history_context(source="confirm", user=getattr(by, "pk", None)):
        Actual.objects.for_org(org).filter(pk__in=ids).update(
            status=SignOff.CONFIRMED,
            confirmed_value=F("value"),
            reviewed_by=by,
            reviewed_at=timezone.now(),
            review_reason="",
        )
    record_history_without_triggers(org, ids)
    recalculation_mark_changes(org=org, changes={(a.period, a.department_id) for a in rows})
    return len(rows)


@transaction.atomic
def actuals_reject(*, org, by, membership, items: Iterable[tuple[int, int]], reason: str) -> int:
    """Reject the pending values named by (actual id, version read), with a reason: all or
    none. What counted before keeps counting (no score changes); the people who entered
    them are told, once per rejection (metrics.signals.actuals_rejected, which reviews
    connects to its e-mails). Raises SignOffRefused. Returns how many."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [
            _("Give the reason for the rejection: the person who entered it reads it.")
        ]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [
            _("The reason is too long (at most %(n)s characters).") % {"n": REASON_MAX}
        ]
    rows, load_errors = _load(org, membership, items)
    errors.update(load_errors)
    if errors:
        raise SignOffRefused(errors)
    ids = [a.pk for a in rows]
    with history_context(source="reject", user=getattr(by, "pk", None)):
        Actual.objects.for_org(org).filter(pk__in=ids).update(
            status=SignOff.REJECTED,
            reviewed_by=by,
            reviewed_at=timezone.now(),
            review_reason=reason,
        )
    record_history_without_triggers(org, ids)
    dashboard_stale(org.pk)  # the scorecards show the rejection; no score changes
    actuals_rejected.send(sender=Actual, organization=org, actual_ids=ids, by=by)
    return len(rows)


def confirmer_errors(*, kpi: Kpi, role: str, department) -> dict[str, str]:
    """{field: message} for a confirmer the KPI may not have; empty when it may."""
    if role and department is not None:
        return {"confirm_role": _("Name a role or a department to confirm, not both.")}
    if role and role not in CONFIRMING_ROLES:
        return {
            "confirm_role": _(
                "Managers confirm as the managers of a department: name the department."
            )
        }
    if (role or department is not None) and not kpi.indicator.typed:
        return {
            "confirm_role": _(
                "Only values people enter can need confirmation: this KPI is computed."
            )
        }
    if department is not None and department.organization_id != kpi.organization_id:
        return {"confirm_department": _("Unknown department.")}
    return {}


def confirmer_changed(*, org, before: dict[int, tuple[str, int | None]], kpis) -> None:
    """After KPIs' confirmers were saved: a KPI that no longer needs confirmation lets its
    waiting values in open periods count as entered (marked for recalculation, at the
    grain of their periods and department). Turning confirmation on changes no score: the
    values stored before count as they did."""
    released = [
        k.pk
        for k in kpis
        if not k.needs_confirmation and before.get(k.pk, ("", None)) != ("", None)
    ]
    if not released:
        return
    waiting = list(
        Actual.objects.for_org(org)
        .filter(
            kpi_id__in=released,
            status__in=[SignOff.PENDING, SignOff.REJECTED],
            period__status=PeriodStatus.OPEN,
        )
        .select_related("period")
    )
    if not waiting:
        return
    ids = [a.pk for a in waiting]
    with history_context(source="confirmation_off", user=None):
        Actual.objects.for_org(org).filter(pk__in=ids).update(status=SignOff.NONE)
    record_history_without_triggers(org, ids)
    recalculation_mark_changes(org=org, changes={(a.period, a.department_id) for a in waiting})
