"""Writes of grades (SPEC §9): the scale and policy, and a calibration's life — opened by
HR for a graded period, grades moved (with a reason) by HR or an executive, published
(frozen; refused while a group breaks the guideline unless the organization allows an
override with a reason), reopened with a reason. Every step is a CalibrationEvent; the
scale and policy are audited by triggers (pghistory)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.permissions import is_admin, is_executive, is_hr
from metrics.services.actuals_check import CONTROL_CHARACTERS

from . import rules, selectors, signals
from .models import (
    AppealState,
    Calibration,
    CalibrationAction,
    CalibrationEvent,
    CalibrationGrade,
    CalibrationState,
    GradeAppeal,
    GradeBand,
    GradingPolicy,
    Grouping,
    PublishRule,
)

can_manage_grades = is_admin | is_hr  # the scale, opening a calibration
can_calibrate = is_admin | is_hr | is_executive  # moving, publishing, reopening

REASON_MAX = 2000


def scale_error_message(code: str) -> str:
    return {
        "too_few": _("A scale needs at least two grades."),
        "required": _("This field is required."),
        "duplicate": _("Each grade needs a label of its own."),
        "last_has_none": _("The last grade takes every score below the others: leave it empty."),
        "not_decreasing": _("Each grade's lowest score must be below the one of the grade above."),
        "negative": _("A coefficient cannot be negative."),
        "invalid": _("Choose “at most”, “at least” or no guideline."),
        "range": _("A share is a percentage above 0 and at most 100."),
    }[code]


def _reason(text: str, *, required: bool, field: str = "reason") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: [_("Give a reason: it is kept with the change.")]})
    if len(text) > REASON_MAX:
        raise ValidationError({field: [_("At most %(n)d characters, please.") % {"n": REASON_MAX}]})
    if CONTROL_CHARACTERS.search(text):
        raise ValidationError(
            {
                field: [
                    _("This text contains invisible control characters (such as NUL): remove them.")
                ]
            }
        )
    return text


def _gate(check, membership) -> None:
    if not check(membership):
        raise PermissionDenied


@transaction.atomic
def grading_save(
    *,
    org,
    membership,
    bands: Sequence[rules.Band],
    grade_months: bool,
    grade_quarters: bool,
    grade_years: bool,
    grouping: str,
    publish_rule: str,
) -> GradingPolicy:
    """Replace the organization's scale and policy (HR, admin). The whole scale is checked
    (SPEC §9) and refused with every grade and field at fault, as `bands.<i>.<field>`."""
    _gate(can_manage_grades, membership)
    bands = [
        rules.Band(
            label=(b.label or "").strip(),
            lowest=b.lowest,
            coefficient=b.coefficient,
            share_kind=b.share_kind or "",
            share_percent=b.share_percent,
        )
        for b in bands
    ]
    errors: dict[str, list[str]] = {}
    for error in rules.scale_errors(bands):
        key = "bands" if error.position is None else f"bands.{error.position}.{error.field}"
        errors.setdefault(key, []).append(scale_error_message(error.code))
    for i, band in enumerate(bands):
        if len(band.label) > 10:
            errors.setdefault(f"bands.{i}.label", []).append(_("At most 10 characters."))
        for name, value, limit in (
            ("coefficient", band.coefficient, Decimal("999.999")),
            ("lowest", band.lowest, Decimal("99999")),
        ):
            if value is not None and abs(value) > limit:
                errors.setdefault(f"bands.{i}.{name}", []).append(_("This number is too large."))
    if grouping not in Grouping.values:
        errors["grouping"] = [_("Choose one of the options.")]
    if publish_rule not in PublishRule.values:
        errors["publish_rule"] = [_("Choose one of the options.")]
    if not (grade_months or grade_quarters or grade_years):
        errors["grade_quarters"] = [_("Choose at least one kind of period to grade.")]
    if errors:
        raise ValidationError(errors)
    policy = selectors.policy_get(org=org)
    policy.grade_months, policy.grade_quarters, policy.grade_years = (
        bool(grade_months),
        bool(grade_quarters),
        bool(grade_years),
    )
    policy.grouping, policy.publish_rule = grouping, publish_rule
    policy.save()
    existing = {b.position: b for b in GradeBand.objects.for_org(org)}
    for i, band in enumerate(bands):
        row = existing.pop(i, None) or GradeBand(organization=org, position=i)
        assert band.coefficient is not None  # scale_errors refused a scale without one
        row.label, row.lowest_score, row.coefficient = band.label, band.lowest, band.coefficient
        row.share_kind, row.share_percent = band.share_kind, band.share_percent
        row.save()
    for row in existing.values():
        row.delete()
    return policy


def _open_calibration(org, calibration: Calibration) -> None:
    if calibration.state != CalibrationState.OPEN:
        raise ValidationError(
            {"calibration": [_("These grades are published: reopen them to change a grade.")]}
        )


def _event(org, calibration, action, by, *, department=None, frm="", to="", reason=""):
    CalibrationEvent.objects.create(
        organization=org,
        calibration=calibration,
        department=department,
        action=action,
        from_grade=frm or "",
        to_grade=to or "",
        reason=reason,
        by=by,
        at=timezone.now(),
    )


@transaction.atomic
def calibration_open(*, org, membership, period) -> Calibration:
    """Open the calibration of a graded period (HR, admin); the one already open is
    returned as it is."""
    _gate(can_manage_grades, membership)
    if period.organization_id != org.pk:
        raise ValidationError({"period": [_("Unknown period.")]})
    policy = selectors.policy_get(org=org)
    if period.kind not in selectors.graded_kinds(policy):
        raise ValidationError(
            {"period": [_("This organization does not grade this kind of period.")]}
        )
    if period.start > timezone.localdate():
        raise ValidationError(
            {"period": [_("This period has not started yet: its grades can be calibrated later.")]}
        )
    existing = Calibration.objects.for_org(org).select_for_update().filter(period=period).first()
    if existing is not None:
        return existing
    calibration = Calibration.objects.create(
        organization=org, period=period, opened_by=membership.user, opened_at=timezone.now()
    )
    _event(org, calibration, CalibrationAction.OPEN, membership.user)
    return calibration


def _locked(org, calibration) -> Calibration:
    return Calibration.objects.for_org(org).select_for_update().get(pk=calibration.pk)


@transaction.atomic
def calibration_move(
    *, org, membership, calibration, department, grade: str, reason: str
) -> CalibrationGrade:
    """Move a department's grade (HR, an executive): a reason is required unless the
    grade goes back to the computed one."""
    _gate(can_calibrate, membership)
    calibration = _locked(org, calibration)
    _open_calibration(org, calibration)
    if department.organization_id != org.pk:
        raise ValidationError({"department": [_("Unknown department.")]})
    board = selectors.calibration_board(
        org=org,
        period=calibration.period,
        calibration=calibration,
        department_ids={department.pk},
    )
    row = board.rows[0] if board.rows else None
    if row is None or row.computed is None:
        raise ValidationError(
            {"department": [_("This department has no score in the period: it gets no grade.")]}
        )
    labels = [b.label for b in board.bands]
    if grade not in labels:
        raise ValidationError({"grade": [_("Choose one of the grades of the scale.")]})
    back = grade == row.computed
    reason = _reason(reason, required=not back)
    if grade == row.final:
        raise ValidationError({"grade": [_("The department already has this grade.")]})
    stored, _created = CalibrationGrade.objects.for_org(org).get_or_create(
        organization=org, calibration=calibration, department=department
    )
    stored.moved_to = "" if back else grade
    stored.reason = "" if back else reason
    stored.moved_by = None if back else membership.user
    stored.moved_at = None if back else timezone.now()
    stored.save()
    _event(
        org,
        calibration,
        CalibrationAction.MOVE,
        membership.user,
        department=department,
        frm=row.final,
        to=grade,
        reason=reason,
    )
    return stored


@transaction.atomic
def calibration_publish(*, org, membership, calibration, override_reason: str = "") -> Calibration:
    """Freeze the final grades and their coefficients (HR, an executive). Refused while a
    group breaks the guideline, unless the organization allows an override and a reason
    is given."""
    _gate(can_calibrate, membership)
    calibration = _locked(org, calibration)
    _open_calibration(org, calibration)
    board = selectors.calibration_board(org=org, period=calibration.period, calibration=calibration)
    override_reason = _reason(override_reason, required=False, field="override_reason")
    if not any(r.final is not None for r in board.rows):
        raise ValidationError(
            {"calibration": [_("No department has a score in this period: nothing to grade.")]}
        )
    if not board.met:
        if board.policy.publish_rule != PublishRule.OVERRIDE:
            raise ValidationError(
                {
                    "calibration": [
                        _(
                            "The distribution does not meet the guideline: move grades until "
                            "every group meets it."
                        )
                    ]
                }
            )
        if not override_reason:
            raise ValidationError(
                {
                    "override_reason": [
                        _(
                            "The distribution does not meet the guideline: give a reason to "
                            "publish anyway."
                        )
                    ]
                }
            )
    else:
        override_reason = ""
    stored = {
        g.department_id: g
        for g in CalibrationGrade.objects.for_org(org).filter(calibration=calibration)
    }
    for row in board.rows:
        grade = stored.pop(row.department.pk, None) or CalibrationGrade(
            organization=org, calibration=calibration, department=row.department
        )
        grade.score, grade.computed = row.score, row.computed or ""
        grade.final, grade.coefficient, grade.group = row.final or "", row.coefficient, row.group
        grade.save()
    calibration.state = CalibrationState.PUBLISHED
    calibration.published_by = membership.user
    calibration.published_at = timezone.now()
    calibration.override_reason = override_reason
    calibration.save()
    _event(org, calibration, CalibrationAction.PUBLISH, membership.user, reason=override_reason)
    transaction.on_commit(
        lambda: signals.calibration_published.send(
            sender=Calibration, org=org, calibration=calibration
        )
    )
    return calibration


@transaction.atomic
def calibration_reopen(*, org, membership, calibration, reason: str) -> Calibration:
    """Reopen published grades (HR, an executive), with a reason. The moves made stay; the
    computed grades follow the scorecards again until the next publication."""
    _gate(can_calibrate, membership)
    calibration = _locked(org, calibration)
    if calibration.state != CalibrationState.PUBLISHED:
        raise ValidationError({"calibration": [_("These grades are not published.")]})
    reason = _reason(reason, required=True)
    calibration.state = CalibrationState.OPEN
    calibration.save(update_fields=["state"])
    _event(org, calibration, CalibrationAction.REOPEN, membership.user, reason=reason)
    return calibration


def _manages(membership, department) -> bool:
    from departments.permissions import managed_department_ids

    return department.pk in managed_department_ids(membership)


@transaction.atomic
def appeal_raise(*, org, membership, calibration, department, reason: str):
    """A manager appeals their department's published grade, once, with a reason; HR and
    the executives are told (signals.appeal_raised, after commit)."""
    if not _manages(membership, department):
        raise PermissionDenied
    calibration = _locked(org, calibration)
    if calibration.state != CalibrationState.PUBLISHED:
        raise ValidationError({"calibration": [_("Only published grades can be appealed.")]})
    grade = (
        CalibrationGrade.objects.for_org(org)
        .filter(calibration=calibration, department=department)
        .exclude(final="")
        .first()
    )
    if grade is None:
        raise ValidationError({"department": [_("This department has no grade to appeal.")]})
    if (
        GradeAppeal.objects.for_org(org)
        .filter(calibration=calibration, department=department)
        .exists()
    ):
        raise ValidationError(
            {"department": [_("This grade has already been appealed: an appeal is made once.")]}
        )
    reason = _reason(reason, required=True)
    appeal = GradeAppeal.objects.create(
        organization=org,
        calibration=calibration,
        department=department,
        grade=grade.final,
        reason=reason,
        raised_by=membership.user,
        raised_at=timezone.now(),
    )
    _event(
        org,
        calibration,
        CalibrationAction.APPEAL,
        membership.user,
        department=department,
        frm=grade.final,
        reason=reason,
    )
    transaction.on_commit(
        lambda: signals.appeal_raised.send(sender=GradeAppeal, org=org, appeal=appeal)
    )
    return appeal


@transaction.atomic
def appeal_resolve(*, org, membership, appeal, grade: str, reason: str):
    """HR or an executive resolves an appeal with a reason: the same grade upholds it,
    another changes the published grade and its coefficient. The manager is told
    (signals.appeal_resolved, after commit)."""
    _gate(can_calibrate, membership)
    appeal = GradeAppeal.objects.for_org(org).select_for_update().get(pk=appeal.pk)
    if appeal.state != AppealState.OPEN:
        raise ValidationError({"appeal": [_("This appeal has already been decided.")]})
    calibration = _locked(org, appeal.calibration)
    if calibration.state != CalibrationState.PUBLISHED:
        raise ValidationError(
            {"appeal": [_("The grades were reopened: publish them again, then decide the appeal.")]}
        )
    bands = selectors.scale_get(org=org)
    if grade not in [b.label for b in bands]:
        raise ValidationError({"grade": [_("Choose one of the grades of the scale.")]})
    reason = _reason(reason, required=True)
    stored = CalibrationGrade.objects.for_org(org).get(
        calibration=calibration, department=appeal.department
    )
    changed = grade != stored.final
    if changed:
        stored.final, stored.coefficient = grade, rules.coefficient_of(grade, bands)
        stored.reason = reason
        stored.moved_by, stored.moved_at = membership.user, timezone.now()
        stored.save()
    appeal.state = AppealState.CHANGED if changed else AppealState.UPHELD
    appeal.new_grade = grade if changed else ""
    appeal.resolution = reason
    appeal.resolved_by, appeal.resolved_at = membership.user, timezone.now()
    appeal.save()
    _event(
        org,
        calibration,
        CalibrationAction.RESOLVE,
        membership.user,
        department=appeal.department,
        frm=appeal.grade,
        to=grade,
        reason=reason,
    )
    transaction.on_commit(
        lambda: signals.appeal_resolved.send(sender=GradeAppeal, org=org, appeal=appeal)
    )
    return appeal
