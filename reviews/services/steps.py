"""The organization's review workflow: its ordered steps (ReviewStep), where a review stands
on them, and the writes of the settings page (add, rename, move, remove), admin and HR only.

Rules every write keeps: the manager's self-assessment is the first step and the only
manager's one; at least one step follows it; positions run 1, 2, 3... with no gap; a step
where reviews wait cannot be removed (they would lose their place)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Organization
from departments.permissions import can_configure
from metrics.services.actuals_check import CONTROL_CHARACTERS

from ..models import DEFAULT_STEPS, Review, ReviewStatus, ReviewStep, StepRole


def review_steps(*, org) -> list[ReviewStep]:
    """The organization's steps in order, the defaults written on first use (one query
    once they exist). Two first uses at once write them once: the second waits on the
    organization's row, then reads what the first wrote (the position constraint is only
    checked at commit, too late to catch)."""
    steps = list(ReviewStep.objects.for_org(org).order_by("position", "pk"))
    if steps:
        return steps
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        steps = list(ReviewStep.objects.for_org(org).order_by("position", "pk"))
        if steps:
            return steps
        return [
            ReviewStep.objects.create(organization=org, position=i, role=role)
            for i, role in enumerate(DEFAULT_STEPS, start=1)
        ]


@dataclass(frozen=True)
class Position:
    """Where a review stands: the step it waits at (None once approved), its index in
    the workflow, and the workflow itself."""

    steps: tuple[ReviewStep, ...]
    index: int | None  # None: approved, past the last step

    @property
    def step(self) -> ReviewStep | None:
        return None if self.index is None else self.steps[self.index]

    @property
    def next(self) -> ReviewStep | None:
        """The step a pass leads to (None: passing approves)."""
        if self.index is None or self.index + 1 >= len(self.steps):
            return None
        return self.steps[self.index + 1]

    @property
    def previous(self) -> ReviewStep | None:
        """The step a return leads to (None at the manager's step)."""
        if self.index is None or self.index == 0:
            return None
        return self.steps[self.index - 1]

    @property
    def is_last(self) -> bool:
        return self.index is not None and self.index == len(self.steps) - 1

    def progress(self) -> list[tuple[ReviewStep, str]]:
        """Each step with its state for the progress line: done, current or next."""
        return [
            (
                step,
                "done"
                if self.index is None or i < self.index
                else ("current" if i == self.index else "next"),
            )
            for i, step in enumerate(self.steps)
        ]


def review_position(review: Review | None, steps: list[ReviewStep]) -> Position:
    """Where the review stands on the organization's steps. A review with no step recorded
    (a row written by hand) reads as the data migration placed the old ones: submitted at
    the last step (the decision), draft or returned at the manager's; so does one whose
    step is gone from the list."""
    ordered = tuple(steps)
    if review is not None and review.status == ReviewStatus.APPROVED:
        return Position(ordered, None)
    ids = [s.pk for s in ordered]
    step_id = review.current_step_id if review is not None else None
    if step_id in ids:
        return Position(ordered, ids.index(step_id))
    submitted = review is not None and review.status == ReviewStatus.SUBMITTED
    return Position(ordered, len(ordered) - 1 if submitted else 0)


# --- The settings page's writes ------------------------------------------------------------


def _gate(org, membership) -> None:
    if not can_configure(membership):
        raise PermissionDenied(_("Only an administrator or HR changes the review steps."))


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if CONTROL_CHARACTERS.search(name):
        raise ValidationError(
            {"name": [_("This text contains invisible control characters (such as NUL).")]}
        )
    if len(name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    return name


def _clean_role(role: str) -> str:
    if role not in StepRole.values:
        raise ValidationError({"role": [_("Choose HR or an executive.")]})
    if role == StepRole.MANAGER:
        raise ValidationError(
            {"role": [_("The manager's self-assessment is the first step and happens once.")]}
        )
    return role


def _clean_position(position, count: int) -> int:
    """A position between 2 (after the manager's step) and `count`."""
    if position is None:
        return count
    if not isinstance(position, int) or position < 2 or position > count:
        raise ValidationError(
            {
                "position": [
                    _(
                        "Choose a position from 2 to %(last)d: the manager's "
                        "self-assessment is always step 1."
                    )
                    % {"last": count}
                ]
            }
        )
    return position


def _renumber(steps: list[ReviewStep]) -> None:
    """Write positions 1..n in the given order (the unique constraint is checked at commit,
    so two steps may swap)."""
    for i, step in enumerate(steps, start=1):
        if step.position != i:
            step.position = i
            step.save(update_fields=["position"])


def _locked_steps(org) -> list[ReviewStep]:
    review_steps(org=org)  # the defaults, before the first change
    return list(ReviewStep.objects.for_org(org).select_for_update().order_by("position", "pk"))


@transaction.atomic
def review_step_add(*, org, membership, role: str, name: str = "", position=None) -> ReviewStep:
    """Add a step held by HR or executives at `position` (2 to the new count; the end when
    None), moving the later ones down."""
    _gate(org, membership)
    steps = _locked_steps(org)
    role, name = _clean_role(role), _clean_name(name)
    position = _clean_position(position, len(steps) + 1)
    step = ReviewStep(organization=org, role=role, name=name, position=len(steps) + 1)
    step.full_clean(exclude=["organization"])
    step.save()
    steps.insert(position - 1, step)
    _renumber(steps)
    return step


@transaction.atomic
def review_step_update(
    *, org, membership, step: ReviewStep, name: str, role: str | None = None, position=None
) -> ReviewStep:
    """Rename a step, and for a step after the manager's change who holds it or move it to
    `position` (2 to the count). Reviews waiting at it stay there."""
    _gate(org, membership)
    steps = _locked_steps(org)
    current = next((s for s in steps if s.pk == step.pk), None)
    if current is None:
        raise ValidationError({"step": [_("Unknown step.")]})
    current.name = _clean_name(name)
    if current.role == StepRole.MANAGER:
        if role not in (None, StepRole.MANAGER) or position not in (None, 1):
            raise ValidationError(
                {"position": [_("The manager's self-assessment stays the first step.")]}
            )
        current.save(update_fields=["name"])
        return current
    if role is not None:
        current.role = _clean_role(role)
    position = _clean_position(position, len(steps)) if position is not None else None
    current.save(update_fields=["name", "role"])
    if position is not None:
        steps.remove(current)
        steps.insert(position - 1, current)
        _renumber(steps)
    return current


@transaction.atomic
def review_step_remove(*, org, membership, step: ReviewStep) -> None:
    """Remove a step after the manager's, unless it is the only one left after it or
    reviews wait at it (the message says how many)."""
    _gate(org, membership)
    steps = _locked_steps(org)
    current = next((s for s in steps if s.pk == step.pk), None)
    if current is None:
        raise ValidationError({"step": [_("Unknown step.")]})
    if current.role == StepRole.MANAGER:
        raise ValidationError({"step": [_("The manager's self-assessment cannot be removed.")]})
    if len(steps) <= 2:
        raise ValidationError(
            {"step": [_("At least one step must follow the manager's self-assessment.")]}
        )
    waiting = Review.objects.for_org(org).filter(current_step=current).count()
    if waiting:
        raise ValidationError(
            {
                "step": [
                    _(
                        "%(count)d review(s) wait at “%(step)s”: pass them on or return "
                        "them before removing the step."
                    )
                    % {"count": waiting, "step": current.label}
                ]
            }
        )
    current.delete()
    steps.remove(current)
    _renumber(steps)
