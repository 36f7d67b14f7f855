"""Writes of the organization's feedback criteria (what feedback rates, 1-5 each): the
defaults written on first use, and HR's and admins' changes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Organization
from departments.permissions import can_configure
from perfhub.errors import save_unique

from ..models import DEFAULT_CRITERIA, CriterionUse, FeedbackCriterion, FeedbackDirection

CRITERION_FIELDS = ("name", "name_en", "applies_to", "position", "is_active")


def feedback_criteria_seed(*, org) -> list[FeedbackCriterion]:
    """Write the default criteria (responsiveness, quality, cooperation) for an
    organization that has none: named in the organization's language, English beside.
    Called when an organization is created (departments.signals.organization_created) and
    on first use by organizations created otherwise; existing ones got them from the data
    migration reviews 0010."""
    chinese = org.language == "zh-hans"
    return [
        FeedbackCriterion.objects.create(
            organization=org,
            name=zh if chinese else en,
            name_en=en,
            applies_to=use,
            position=i,
        )
        for i, (en, zh, use) in enumerate(DEFAULT_CRITERIA, start=1)
    ]


def feedback_criteria(*, org, active_only: bool = False) -> list[FeedbackCriterion]:
    """The organization's criteria in order (the defaults written on first use; one query
    once they exist). Two first uses at once write them once: the second waits on the
    organization's row, then reads what the first wrote."""
    criteria = list(FeedbackCriterion.objects.for_org(org).order_by("position", "pk"))
    if not criteria:
        with transaction.atomic():
            Organization.objects.select_for_update().filter(pk=org.pk).first()
            criteria = list(FeedbackCriterion.objects.for_org(org).order_by("position", "pk"))
            if not criteria:
                criteria = feedback_criteria_seed(org=org)
    return [c for c in criteria if c.is_active] if active_only else criteria


def criteria_asked(criteria, direction: str) -> list[FeedbackCriterion]:
    """The active criteria feedback of `direction` rates, in order."""
    return [c for c in criteria if c.is_active and c.asked_on(direction)]


def _check(org, criterion: FeedbackCriterion) -> None:
    """Field rules of one criterion, then the rule of the set: feedback on support always
    has at least one active criterion to rate (the satisfaction KPI is computed from it)."""
    criterion.name = (criterion.name or "").strip()
    criterion.name_en = (criterion.name_en or "").strip()
    criterion.full_clean()
    others = [c for c in feedback_criteria(org=org) if c.pk != criterion.pk]
    if not criteria_asked([*others, criterion], FeedbackDirection.SUPPORT):
        raise ValidationError(
            {
                "is_active": [
                    _(
                        "At least one active criterion must be asked on management "
                        "departments' support."
                    )
                ]
            }
        )


def _gate(membership) -> None:
    if not can_configure(membership):
        raise PermissionDenied(_("Only an administrator or HR changes the feedback criteria."))


@transaction.atomic
def criterion_create(
    *,
    org,
    membership,
    name: str,
    name_en: str = "",
    applies_to: str = CriterionUse.BOTH,
    position: int | None = None,
    is_active: bool = True,
) -> FeedbackCriterion:
    """Add a criterion (admin and HR), at `position` or after the last one. Ratings already
    given are not touched: feedback saved from now on must rate it."""
    _gate(membership)
    existing = feedback_criteria(org=org)
    if position is None:
        position = max((c.position for c in existing), default=0) + 1
    criterion = FeedbackCriterion(
        organization=org,
        name=name,
        name_en=name_en,
        applies_to=applies_to,
        position=position,
        is_active=is_active,
    )
    _check(org, criterion)
    save_unique(criterion)
    return criterion


@transaction.atomic
def criterion_update(*, org, membership, criterion: FeedbackCriterion, **fields):
    """Rename, reorder, change where a criterion is asked, or switch it off or on (admin
    and HR). Ratings it already holds keep counting in the scores they made."""
    _gate(membership)
    unknown = set(fields) - set(CRITERION_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed.")] for f in unknown})
    for key, value in fields.items():
        setattr(criterion, key, value)
    _check(org, criterion)
    save_unique(criterion)
    return criterion


@transaction.atomic
def criterion_delete(*, org, membership, criterion: FeedbackCriterion) -> None:
    """Delete a criterion nobody has rated yet (admin and HR); one with ratings is only
    switched off, so the scores it made stay explainable."""
    _gate(membership)
    if criterion.ratings.exists():
        raise ValidationError(
            {
                "__all__": [
                    _("“%(name)s” already has ratings: switch it off instead of deleting it.")
                    % {"name": criterion.display_name}
                ]
            }
        )
    criterion.is_active = False  # the rule of the set, as if switched off
    _check(org, criterion)
    criterion.delete()
