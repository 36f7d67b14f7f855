"""Reviews, their steps and transitions, feedback and the notifications sent."""

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Department, LocalizedName, NotificationKind
from metrics.models import Period
from perfhub.tenancy import TenantModel


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned")


class StepRole(models.TextChoices):
    """Who holds a step of the review workflow."""

    MANAGER = "manager", _("the department's manager")
    HR = "hr", _("HR")
    EXECUTIVE = "executive", _("an executive")


# The name a step shows when it has none of its own: translated, so the default steps read
# in each member's language.
DEFAULT_STEP_LABELS = {
    StepRole.MANAGER: _("Manager's self-assessment"),
    StepRole.HR: _("HR check"),
    StepRole.EXECUTIVE: _("Executive decision"),
}
# The workflow of an organization that has not changed it (and of existing reviews).
DEFAULT_STEPS = (StepRole.MANAGER, StepRole.HR, StepRole.EXECUTIVE)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="ReviewStepEvent",
)
class ReviewStep(TenantModel):
    """One step of the organization's review workflow, in `position` order: the first is
    always the manager's self-assessment, then at least one step held by HR or executives;
    passing the last one approves the review. Edited by admin and HR
    (reviews.services.steps), audited by database triggers."""

    position = models.PositiveSmallIntegerField(_("position"))
    role = models.CharField(_("who acts"), max_length=10, choices=StepRole.choices)
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Leave empty for the usual name of the step, in each member's language."),
    )

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "position"],
                name="review_step_unique_position",
                deferrable=models.Deferrable.DEFERRED,  # renumbering swaps positions
            )
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        return self.name or str(DEFAULT_STEP_LABELS[StepRole(self.role)])


class Review(TenantModel):
    """A department's periodic review (SPEC §2): the manager's self-assessment and
    improvement plan, then the organization's steps (ReviewStep) up to the executive's
    decision and comment. Its status and step change only through
    reviews.services.reviews.review_transition, which records every step (ReviewTransition).

    `status` summarises the step for the code and API that predate steps: draft or returned
    at the manager's step, submitted at any later step, approved after the last."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    # Where the review waits: the manager's step while draft or returned, a later step while
    # submitted, none once approved (a row without one is read as the data migration placed
    # the old ones: reviews.services.steps.review_position).
    current_step = models.ForeignKey(
        ReviewStep,
        verbose_name=_("current step"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    self_assessment = models.TextField(_("self-assessment"), blank=True, max_length=10000)
    improvement_plan = models.TextField(_("improvement plan"), blank=True, max_length=10000)
    executive_comment = models.TextField(_("executive's comment"), blank=True, max_length=5000)
    return_reason = models.TextField(_("reason for returning"), blank=True, max_length=5000)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-period__start", "department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "department", "period"], name="review_unique_per_period"
            )
        ]

    @property
    def editable(self) -> bool:
        """The manager edits the text of a draft, or of a review returned to them."""
        return self.status in (ReviewStatus.DRAFT, ReviewStatus.RETURNED)


class ReviewTransition(TenantModel):
    """One move of a review: who, when, from which step (and status) to which, and why.
    `to_step` is empty when the move approved the review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    # Kept when a step is later removed from the workflow: the history then shows statuses.
    from_step = models.ForeignKey(
        ReviewStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_step = models.ForeignKey(
        ReviewStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["at", "pk"]


class FeedbackDirection(models.TextChoices):
    """Who rates whom: business departments rate management departments' support (as
    always), management departments rate business departments' cooperation."""

    SUPPORT = "support", _("support: business departments rate management departments")
    COOPERATION = "cooperation", _("cooperation: management departments rate business departments")


class CriterionUse(models.TextChoices):
    """In which direction of feedback a criterion is asked."""

    BOTH = "both", _("both ways")
    SUPPORT = "support", _("only on management departments' support")
    COOPERATION = "cooperation", _("only on business departments' cooperation")


# The criteria every organization starts with (reviews.services.criteria): English name,
# Chinese name, use. Cooperation is asked both ways; the other two of support only.
DEFAULT_CRITERIA = (
    ("Responsiveness", "响应速度", CriterionUse.SUPPORT),
    ("Quality", "质量", CriterionUse.SUPPORT),
    ("Cooperation", "协作", CriterionUse.BOTH),
)


class FeedbackCriterion(TenantModel, LocalizedName):
    """One thing feedback rates (1-5, with an optional comment): defined per organization
    by admin and HR (reviews.services.criteria), in `position` order. A criterion that has
    ratings is never deleted, only made inactive: the ratings it holds still count."""

    applies_to = models.CharField(
        _("asked on"), max_length=12, choices=CriterionUse.choices, default=CriterionUse.BOTH
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("feedback criterion")
        verbose_name_plural = _("feedback criteria")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="feedback_criterion_unique_name"
            )
        ]

    def asked_on(self, direction: str) -> bool:
        """Whether the criterion is rated in feedback of that direction."""
        return self.applies_to in (CriterionUse.BOTH, direction)


class Feedback(TenantModel):
    """One department's feedback on another in a period: a rating (1-5) per criterion
    (FeedbackRating), each with an optional comment, and an overall comment. Business
    departments rate management departments' support; management departments rate
    business departments' cooperation (`direction`).

    `rated_by` is the manager who saved it last (empty for feedback given before it was
    recorded): HR and admins always see it; the rated department sees it only when the
    organization turned `feedback_anonymous` off (reviews.selectors.feedback_rater_hidden)."""

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    rater_department = models.ForeignKey(
        Department,
        verbose_name=_("rating department"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    rated_department = models.ForeignKey(
        Department, verbose_name=_("rated department"), on_delete=models.CASCADE, related_name="+"
    )
    direction = models.CharField(
        _("direction"),
        max_length=12,
        choices=FeedbackDirection.choices,
        default=FeedbackDirection.SUPPORT,
    )
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-period__start", "rated_department__code", "rater_department__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period", "rater_department", "rated_department"],
                name="feedback_unique_pair_period",
            ),
        ]


class FeedbackRating(TenantModel):
    """The rating (1-5) one feedback gives on one criterion, with an optional comment."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(
        FeedbackCriterion,
        verbose_name=_("criterion"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("feedback rating")
        verbose_name_plural = _("feedback ratings")
        ordering = ["criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "feedback", "criterion"],
                name="feedback_rating_unique_criterion",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_criterion_range",
            ),
        ]


class Notification(TenantModel):
    """An email that was sent: one row per kind, recipient and subject key (a period, a KPI
    in a period, a week). The unique row is what makes every reminder job idempotent."""

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "user", "key"], name="notification_once"
            )
        ]
