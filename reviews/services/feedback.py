"""Writes of cross-department feedback, both ways: business departments rate management
departments' support, management departments rate business departments' cooperation, each
on the organization's criteria (1-5 and an optional comment each, and an overall comment).
One feedback, or a rater's grid all or nothing; and the KPIs computed from them (internal
service satisfaction, and the optional cooperation KPI) by metrics.scoring's formula."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, DepartmentKind
from metrics.models import Indicator, Kpi, Period, PeriodKind, PeriodStatus, Source
from metrics.scoring import feedback_satisfaction
from metrics.services.actuals import computed_actual_set
from metrics.services.actuals_check import CONTROL_CHARACTERS
from metrics.services.kpis import COOPERATION

from ..models import Feedback, FeedbackDirection, FeedbackRating
from .criteria import criteria_asked, feedback_criteria

SATISFACTION = "internal_service_satisfaction"
# The computed indicator each direction of feedback feeds, on the rated department.
KPI_OF_DIRECTION: dict[str, str] = {
    FeedbackDirection.SUPPORT: SATISFACTION,
    FeedbackDirection.COOPERATION: COOPERATION,
}
COMMENT_MAX = 2000


def feedback_period_kind(org) -> str:
    """Feedback is given at the entry frequency of the satisfaction indicator (monthly)."""
    indicator = Indicator.objects.for_org(org).filter(code=SATISFACTION).first()
    return indicator.frequency if indicator is not None else PeriodKind.MONTH


def feedback_direction(rater_department, rated_department) -> str | None:
    """Support when a business department rates a management department, cooperation the
    other way round; None for any other pair (same kind)."""
    kinds = (rater_department.kind, rated_department.kind)
    if kinds == (DepartmentKind.BUSINESS, DepartmentKind.MANAGEMENT):
        return FeedbackDirection.SUPPORT
    if kinds == (DepartmentKind.MANAGEMENT, DepartmentKind.BUSINESS):
        return FeedbackDirection.COOPERATION
    return None


@dataclass(frozen=True)
class Rated:
    """The rating (1-5) given on one criterion (by id), with an optional comment."""

    criterion: int
    rating: object  # checked: an int from 1 to 5
    comment: str = ""


def _comment_error(text: str) -> str | None:
    if len(text) > COMMENT_MAX:
        return _("At most %(n)d characters.") % {"n": COMMENT_MAX}
    if CONTROL_CHARACTERS.search(text):
        return _("This text contains invisible control characters (such as NUL): remove them.")
    return None


def _check(
    *, org, period, rater_department, rated_department, ratings, comment, criteria
) -> tuple[dict[str, list[str]], str | None, list[Rated]]:
    """Every refusal of one feedback as {field: [messages]}, its direction and the ratings
    cleaned. `criteria` is the organization's list (feedback_criteria)."""
    errors: dict[str, list[str]] = defaultdict(list)
    if period.organization_id != org.pk:
        errors["period"].append(_("Unknown period."))
    elif period.is_locked:
        errors["period"].append(
            _("%(period)s is locked: its feedback cannot change.") % {"period": period.label}
        )
    elif period.kind != feedback_period_kind(org):
        errors["period"].append(_("Feedback is given per month: choose a month."))
    direction = None
    if rater_department.organization_id != org.pk:
        errors["rater_department"].append(_("Unknown department."))
    if rated_department.organization_id != org.pk:
        errors["rated_department"].append(_("Unknown department."))
    if not errors.keys() & {"rater_department", "rated_department"}:
        direction = feedback_direction(rater_department, rated_department)
        if direction is None:
            message = _(
                "Business departments rate management departments' support, and management "
                "departments rate business departments' cooperation: not a department of "
                "the same kind."
            )
            errors["rater_department"].append(message)
            errors["rated_department"].append(message)
        elif not rated_department.is_active:
            errors["rated_department"].append(_("This department is inactive."))
    by_id = {c.pk: c for c in criteria}
    cleaned: list[Rated] = []
    seen: set[int] = set()
    for rated in ratings:
        criterion = by_id.get(rated.criterion) if isinstance(rated.criterion, int) else None
        if criterion is None:
            errors["ratings"].append(
                _("Unknown criterion: %(id)s.") % {"id": str(rated.criterion)[:20]}
            )
            continue
        name = criterion.display_name
        if not criterion.is_active:
            errors["ratings"].append(
                _("“%(name)s” is no longer rated: leave it out.") % {"name": name}
            )
            continue
        if direction is not None and not criterion.asked_on(direction):
            errors["ratings"].append(
                _("“%(name)s” is not asked in this direction of feedback.") % {"name": name}
            )
            continue
        if criterion.pk in seen:
            errors["ratings"].append(_("“%(name)s” is rated twice.") % {"name": name})
            continue
        seen.add(criterion.pk)
        value = rated.rating
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors["ratings"].append(_("“%(name)s”: choose a rating from 1 to 5.") % {"name": name})
            continue
        text = (rated.comment or "").strip()
        problem = _comment_error(text)
        if problem:
            errors["ratings"].append(f"“{name}”: {problem}")
            continue
        cleaned.append(Rated(criterion=criterion.pk, rating=value, comment=text))
    if direction is not None:
        missing = [
            c.display_name
            for c in criteria_asked(criteria, direction)
            if c.pk not in seen and not any(c.pk == r.criterion for r in ratings)
        ]
        if missing:
            errors["ratings"].append(
                _("Rate every criterion: %(names)s missing.") % {"names": ", ".join(missing)}
            )
    problem = _comment_error(comment)
    if problem:
        errors["comment"].append(problem)
    return dict(errors), direction, cleaned


def _write(
    *, org, period, rater_department, rated_department, direction, ratings, comment, by
) -> Feedback:
    feedback, _created = Feedback.objects.for_org(org).update_or_create(
        organization=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        defaults={"comment": comment, "direction": direction, "rated_by": by},
    )
    FeedbackRating.objects.for_org(org).filter(feedback=feedback).delete()
    FeedbackRating.objects.bulk_create(
        [
            FeedbackRating(
                organization=org,
                feedback=feedback,
                criterion_id=r.criterion,
                rating=r.rating,
                comment=r.comment,
            )
            for r in ratings
        ]
    )
    return feedback


@transaction.atomic
def feedback_save(
    *,
    org,
    period,
    rater_department,
    rated_department,
    ratings: Sequence[Rated],
    comment: str = "",
    by=None,
) -> Feedback:
    """One department's feedback on another in a period: a rating (1-5) on every active
    criterion asked in its direction, each with an optional comment, and an overall
    comment; created, or replaced while the period is open. `by` (the manager saving it)
    is stored as `rated_by`. Recomputes the rated department's computed KPI in the same
    transaction. Who may rate for the rater department is the caller's check (its
    managers). Raises ValidationError naming each field (`ratings` names the criterion)."""
    comment = (comment or "").strip()
    errors, direction, cleaned = _check(
        org=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        ratings=ratings,
        comment=comment,
        criteria=feedback_criteria(org=org),
    )
    if errors:
        raise ValidationError(errors)
    assert direction is not None  # refused above otherwise
    feedback = _write(
        org=org,
        period=period,
        rater_department=rater_department,
        rated_department=rated_department,
        direction=direction,
        ratings=cleaned,
        comment=comment,
        by=by,
    )
    feedback_kpi_update(org=org, period=period, department=rated_department, direction=direction)
    return feedback


def ratings_same(criteria, direction: str, rating) -> list[Rated]:
    """The same rating on every active criterion asked in `direction`: what the API's
    single `rating` (the one number of feedback before criteria) means."""
    return [Rated(criterion=c.pk, rating=rating) for c in criteria_asked(criteria, direction)]


@dataclass(frozen=True)
class FeedbackRow:
    """One row of the feedback page's grid as typed: `ratings` maps a criterion id to the
    raw text ("" for none), `comments` a criterion id to its comment; `key` names the row
    in FeedbackRefused.errors. A row with nothing typed clears the feedback."""

    rater_department: Department
    rated_department: Department
    ratings: Mapping[int, str] = field(default_factory=dict)
    comments: Mapping[int, str] = field(default_factory=dict)
    comment: str = ""

    @property
    def key(self) -> str:
        return f"{self.rater_department.pk}-{self.rated_department.pk}"

    @property
    def empty(self) -> bool:
        return not any(
            (v or "").strip()
            for v in (*self.ratings.values(), *self.comments.values(), self.comment)
        )


class FeedbackRefused(Exception):
    """Nothing was saved. `errors` maps a FeedbackRow.key to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("feedback refused")
        self.errors = errors


def _parsed(raw: str):
    try:
        return int(raw.strip())
    except ValueError:
        return raw


@transaction.atomic
def feedback_save_many(*, org, period, rows: Sequence[FeedbackRow], by=None) -> list[Feedback]:
    """Save a rater's grid of feedback for a period, all or nothing: a row with something
    typed is saved (every criterion asked must be rated), a row cleared of an existing
    feedback deletes it, a comment without ratings is refused. Returns the feedback saved;
    raises FeedbackRefused with every row's problem and writes nothing then. The computed
    KPIs are recomputed once per rated department. Who may rate for each rater department
    is the caller's check (its managers)."""
    criteria = feedback_criteria(org=org)
    given = {
        (f.rater_department_id, f.rated_department_id): f
        for f in Feedback.objects.for_org(org)
        .filter(period=period, rater_department__in={r.rater_department.pk for r in rows})
        .select_related("period", "rated_department")
    }
    errors: dict[str, str] = {}
    saved: list[Feedback] = []
    touched: set[tuple[int, str]] = set()
    departments: dict[int, Department] = {}
    for row in rows:
        existing = given.get((row.rater_department.pk, row.rated_department.pk))
        if row.empty:
            if existing is not None:
                try:
                    _locked_refusal(existing.period)
                except ValidationError as exc:  # a locked period: said beside the row
                    errors[row.key] = " ".join(exc.messages)
                    continue
                touched.add((existing.rated_department_id, existing.direction))
                departments[existing.rated_department_id] = row.rated_department
                existing.delete()
            continue
        typed = [
            Rated(criterion=cid, rating=_parsed(raw), comment=row.comments.get(cid, ""))
            for cid, raw in row.ratings.items()
            if (raw or "").strip()
        ]
        commented_only = [
            cid
            for cid, text in row.comments.items()
            if (text or "").strip() and not (row.ratings.get(cid) or "").strip()
        ]
        problems, direction, cleaned = _check(
            org=org,
            period=period,
            rater_department=row.rater_department,
            rated_department=row.rated_department,
            ratings=typed,
            comment=row.comment.strip(),
            criteria=criteria,
        )
        messages = [m for ms in problems.values() for m in ms]
        if commented_only:
            messages.insert(0, _("Choose a rating to go with each comment."))
        if messages:
            errors[row.key] = " ".join(dict.fromkeys(messages))
            continue
        assert direction is not None
        saved.append(
            _write(
                org=org,
                period=period,
                rater_department=row.rater_department,
                rated_department=row.rated_department,
                direction=direction,
                ratings=cleaned,
                comment=row.comment.strip(),
                by=by,
            )
        )
        touched.add((row.rated_department.pk, direction))
        departments[row.rated_department.pk] = row.rated_department
    if errors:
        raise FeedbackRefused(errors)  # leaving the atomic block undoes the rows saved
    for department_id, direction in sorted(touched):
        feedback_kpi_update(
            org=org, period=period, department=departments[department_id], direction=direction
        )
    return saved


def _locked_refusal(period) -> None:
    if period.is_locked:
        raise ValidationError(
            {
                "period": [
                    _("%(period)s is locked: its feedback cannot change.")
                    % {"period": period.label}
                ]
            }
        )


@transaction.atomic
def feedback_delete(*, org, feedback: Feedback) -> None:
    """Remove one feedback while its period is open and recompute the rated department's
    computed KPI."""
    _locked_refusal(feedback.period)
    period, department, direction = feedback.period, feedback.rated_department, feedback.direction
    feedback.delete()
    feedback_kpi_update(org=org, period=period, department=department, direction=direction)


def _ratings_by_feedback(rows) -> list[list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for feedback_id, rating in rows:
        grouped[feedback_id].append(rating)
    return list(grouped.values())


def feedback_fill(*, org, kpis) -> int:
    """New computed KPIs fed by feedback (metrics.signals.kpis_created: internal service
    satisfaction, cooperation) get their actual in every open period whose feedback their
    department already received: feedback given before the KPI existed is not lost. Locked
    periods stay as they were locked. Returns the number of actuals written (one query for
    the ratings, one for the periods)."""
    wanted: dict[tuple[int, str], Kpi] = {
        (k.department_id, direction): k
        for k in kpis
        for direction, code in KPI_OF_DIRECTION.items()
        if k.indicator.code == code
    }
    if not wanted:
        return 0
    grouped: dict[tuple[int, str, int], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for department_id, direction, period_id, feedback_id, rating in (
        FeedbackRating.objects.for_org(org)
        .filter(
            feedback__rated_department_id__in={key[0] for key in wanted},
            feedback__period__status=PeriodStatus.OPEN,
        )
        .values_list(
            "feedback__rated_department_id",
            "feedback__direction",
            "feedback__period_id",
            "feedback_id",
            "rating",
        )
        .order_by("feedback__period_id", "feedback__rated_department_id", "feedback_id")
    ):
        if (department_id, direction) in wanted:
            grouped[(department_id, direction, period_id)][feedback_id].append(rating)
    periods = {p.pk: p for p in Period.objects.for_org(org).filter(pk__in={k[2] for k in grouped})}
    for (department_id, direction, period_id), by_feedback in grouped.items():
        computed_actual_set(
            org=org,
            kpi=wanted[(department_id, direction)],
            period=periods[period_id],
            value=feedback_satisfaction(by_feedback.values()),
            source=Source.FEEDBACK,
        )
    return len(grouped)


def feedback_kpi_update(*, org, period, department, direction: str) -> None:
    """Set the rated department's KPI fed by feedback of `direction` (internal service
    satisfaction, cooperation) for the period from the feedback it received, by
    metrics.scoring.feedback_satisfaction; no feedback, no actual. Without that KPI
    nothing is written."""
    kpi = (
        Kpi.objects.for_org(org)
        .filter(department=department, indicator__code=KPI_OF_DIRECTION[direction])
        .select_related("indicator")
        .first()
    )
    if kpi is None:
        return
    rows = (
        FeedbackRating.objects.for_org(org)
        .filter(
            feedback__period=period,
            feedback__rated_department=department,
            feedback__direction=direction,
        )
        .values_list("feedback_id", "rating")
        .order_by("feedback_id")
    )
    computed_actual_set(
        org=org,
        kpi=kpi,
        period=period,
        value=feedback_satisfaction(_ratings_by_feedback(rows)),
        source=Source.FEEDBACK,
    )
