"""Writes of cross-department feedback: ratings (one, or a rater's grid all or nothing)
and the management departments' internal service satisfaction computed from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from departments.models import Department, DepartmentKind
from metrics.models import Indicator, Kpi, Period, PeriodKind, PeriodStatus, Source
from metrics.services.actuals import computed_actual_set
from metrics.services.actuals_check import CONTROL_CHARACTERS

from ..models import Feedback

SATISFACTION = "internal_service_satisfaction"


def feedback_period_kind(org) -> str:
    """Feedback is given at the entry frequency of the satisfaction indicator (monthly)."""
    indicator = Indicator.objects.for_org(org).filter(code=SATISFACTION).first()
    return indicator.frequency if indicator is not None else PeriodKind.MONTH


@transaction.atomic
def feedback_save(
    *, org, period, rater_department, rated_department, rating, comment: str = ""
) -> Feedback:
    """One business department's rating (1-5) of one management department's support in a
    period: created, or changed while the period is open. Recomputes the rated
    department's internal service satisfaction in the same transaction. Who may rate for
    the rater department is the caller's check (its managers)."""
    errors: dict[str, list[str]] = {}
    if period.organization_id != org.pk:
        errors["period"] = [_("Unknown period.")]
    elif period.is_locked:
        errors["period"] = [
            _("%(period)s is locked: its feedback cannot change.") % {"period": period.label}
        ]
    elif period.kind != feedback_period_kind(org):
        errors["period"] = [_("Feedback is given per month: choose a month.")]
    if rater_department.organization_id != org.pk:
        errors["rater_department"] = [_("Unknown department.")]
    elif rater_department.kind != DepartmentKind.BUSINESS:
        errors["rater_department"] = [_("Only business departments rate support.")]
    if rated_department.organization_id != org.pk:
        errors["rated_department"] = [_("Unknown department.")]
    elif rated_department.kind != DepartmentKind.MANAGEMENT:
        errors["rated_department"] = [_("Only management departments are rated.")]
    elif not rated_department.is_active:
        errors["rated_department"] = [_("This department is inactive.")]
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = [_("At most 2000 characters.")]
    elif CONTROL_CHARACTERS.search(comment):
        errors["comment"] = [
            _("This text contains invisible control characters (such as NUL): remove them.")
        ]
    if errors:
        raise ValidationError(errors)
    feedback, _created = Feedback.objects.for_org(org).update_or_create(
        organization=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        defaults={"rating": rating, "comment": comment},
    )
    satisfaction_update(org=org, period=period, department=rated_department)
    return feedback


@dataclass(frozen=True)
class FeedbackRow:
    """One cell of the feedback page's grid as typed: `rating` is the raw text ("" clears
    the rating), `key` names the row in FeedbackRefused.errors."""

    rater_department: Department
    rated_department: Department
    rating: str
    comment: str = ""

    @property
    def key(self) -> str:
        return f"{self.rater_department.pk}-{self.rated_department.pk}"


class FeedbackRefused(Exception):
    """Nothing was saved. `errors` maps a FeedbackRow.key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("feedback refused")
        self.errors = errors


@transaction.atomic
def feedback_save_many(*, org, period, rows: Sequence[FeedbackRow]) -> list[Feedback]:
    """Save a rater's grid of ratings for a period, all or nothing: a row with a rating is
    saved (feedback_save), a row cleared of an existing rating deletes it, a comment without
    a rating is refused. Returns the feedback saved; raises FeedbackRefused with every
    row's problem and writes nothing then. Who may rate for each rater department is the
    caller's check (its managers)."""
    given = {
        (f.rater_department_id, f.rated_department_id): f
        for f in Feedback.objects.for_org(org)
        .filter(period=period, rater_department__in={r.rater_department.pk for r in rows})
        .select_related("period", "rated_department")
    }
    errors: dict[str, str] = {}
    saved: list[Feedback] = []
    for row in rows:
        raw = row.rating.strip()
        existing = given.get((row.rater_department.pk, row.rated_department.pk))
        if raw == "":
            if existing is not None:
                try:
                    feedback_delete(org=org, feedback=existing)
                except ValidationError as exc:  # a locked period: said beside the row
                    errors[row.key] = " ".join(exc.messages)
            elif row.comment.strip():
                errors[row.key] = _("Choose a rating to go with the comment.")
            continue
        try:
            rating = int(raw)
        except ValueError:
            rating = None
        try:
            saved.append(
                feedback_save(
                    org=org,
                    period=period,
                    rater_department=row.rater_department,
                    rated_department=row.rated_department,
                    rating=rating,
                    comment=row.comment,
                )
            )
        except ValidationError as exc:
            errors[row.key] = " ".join(m for ms in exc.message_dict.values() for m in ms)
    if errors:
        raise FeedbackRefused(errors)  # leaving the atomic block undoes the rows saved
    return saved


@transaction.atomic
def feedback_delete(*, org, feedback: Feedback) -> None:
    """Remove one rating while its period is open and recompute the rated department's
    internal service satisfaction."""
    if feedback.period.is_locked:
        raise ValidationError(
            {
                "period": [
                    _("%(period)s is locked: its feedback cannot change.")
                    % {"period": feedback.period.label}
                ]
            }
        )
    period, department = feedback.period, feedback.rated_department
    feedback.delete()
    satisfaction_update(org=org, period=period, department=department)


def satisfaction_value(total: int | None, count: int) -> Decimal | None:
    """SPEC: the actual is average rating / 5 x 100 (kept to 4 decimals)."""
    if not count or total is None:
        return None
    return (Decimal(total) / Decimal(count) / Decimal(5) * Decimal(100)).quantize(Decimal("0.0001"))


def satisfaction_fill(*, org, kpis) -> int:
    """New internal-service-satisfaction KPIs (metrics.signals.kpis_created) get their
    actual in every open period whose ratings their department already received: feedback
    given before the KPI existed is not lost. Locked periods stay as they were locked.
    Returns the number of actuals written."""
    kpis = [k for k in kpis if k.indicator.code == SATISFACTION]
    if not kpis:
        return 0
    by_department = {k.department_id: k for k in kpis}
    rows = (
        Feedback.objects.for_org(org)
        .filter(rated_department_id__in=by_department, period__status=PeriodStatus.OPEN)
        .values("rated_department_id", "period_id")
        .annotate(total=Sum("rating"), count=Count("pk"))
        .order_by("period_id", "rated_department_id")
    )
    periods = {
        p.pk: p for p in Period.objects.for_org(org).filter(pk__in={r["period_id"] for r in rows})
    }
    for row in rows:
        computed_actual_set(
            org=org,
            kpi=by_department[row["rated_department_id"]],
            period=periods[row["period_id"]],
            value=satisfaction_value(row["total"], row["count"]),
            source=Source.FEEDBACK,
        )
    return len(rows)


def satisfaction_update(*, org, period, department) -> None:
    """Set the management department's internal service satisfaction for the period from
    the ratings it received; no rating, no actual. Without that KPI nothing is written."""
    kpi = (
        Kpi.objects.for_org(org)
        .filter(department=department, indicator__code=SATISFACTION)
        .select_related("indicator")
        .first()
    )
    if kpi is None:
        return
    ratings = (
        Feedback.objects.for_org(org)
        .filter(period=period, rated_department=department)
        .aggregate(total=Sum("rating"), count=Count("pk"))
    )
    computed_actual_set(
        org=org,
        kpi=kpi,
        period=period,
        value=satisfaction_value(ratings["total"], ratings["count"]),
        source=Source.FEEDBACK,
    )
