"""Organizations (tenants), their members with roles, and departments in a tree."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from perfhub.tenancy import TenantModel


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese (Simplified)")
    EN = "en", _("English")


class MissingPolicy(models.TextChoices):
    EXCLUDE = "exclude", _("Leave out KPIs without an actual")
    ZERO = "zero", _("Count a missing actual as 0")


class ReviewFrequency(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class Organization(models.Model):
    """A tenant: one company and everything it owns."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    amber_line = models.DecimalField(
        _("amber line"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(80),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("A KPI scoring at least this (and under 100) is amber; below it, red."),
    )
    management_weight = models.DecimalField(
        _("weight of management departments in the company index"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    missing_actual_policy = models.CharField(
        _("missing actuals"),
        max_length=10,
        choices=MissingPolicy.choices,
        default=MissingPolicy.EXCLUDE,
    )
    review_frequency = models.CharField(
        _("reviews"), max_length=10, choices=ReviewFrequency.choices, default=ReviewFrequency.MONTH
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("remind managers this many days before the due date"),
        default=3,
        validators=[MaxValueValidator(60)],
    )
    feedback_anonymous = models.BooleanField(
        _("feedback is anonymous"),
        default=True,
        help_text=_(
            "The rated department sees ratings and comments without the name of the manager "
            "who gave them. HR and admins always see who rated."
        ),
    )
    feedback_cooperation_kpi = models.BooleanField(
        _("cooperation KPI for business departments"),
        default=False,
        help_text=_(
            "Give every business department a KPI computed from the cooperation ratings "
            "management departments give it (weight 0 until HR weighs it)."
        ),
    )
    # Off: members sign in through the organization's single sign-on only (accounts.sso);
    # see docs/security.md, "Single sign-on", for users of several organizations.
    password_sign_in = models.BooleanField(
        _("members may sign in with a password"),
        default=True,
        help_text=_("Switch it off to let members sign in through single sign-on only."),
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("after the due date, also remind the parent department's manager after this many days"),
        default=3,
        validators=[MaxValueValidator(60)],
        help_text=_("0: never. A department without a manager is always escalated at once."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="org_fiscal_month_range",
            ),
            models.CheckConstraint(
                condition=models.Q(management_weight__gte=0, management_weight__lte=1),
                name="org_management_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HR = "hr", _("HR")
    MANAGER = "manager", _("Department manager")
    EXECUTIVE = "executive", _("Executive")


class Membership(TenantModel):
    """A user's role in one organization."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # An inactive member (left the company: deactivated by HR, e.g. after an org-chart
    # import that no longer lists them) keeps their history but cannot open the
    # organization (pages, API), is never offered as a manager and gets no e-mail from it.
    is_active = models.BooleanField(_("active"), default=True)
    # Where the member works and their contact details in this organization, as the
    # org-chart import (or a contacts export) gives them.
    department = models.ForeignKey(
        "Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Row-level security (perfhub.rls) also lets a user read their own memberships in every
    # organization: "which organizations am I in" comes before any organization is chosen.
    rls_readable_by_user = "user"

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="membership_unique_user_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    @cached_property
    def managed_ids(self) -> frozenset[int]:
        """Departments this member manages, directly or through a parent: read on first use
        (one query; most pages of admins, HR and executives never ask). Needs the database
        set to the organization, as every request's membership check does."""
        return managed_department_ids(org=self.organization_id, user=self.user_id)


class IdentityProvider(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    FEISHU = "feishu", _("Feishu")
    OIDC = "oidc", _("OpenID Connect")


class MemberIdentity(TenantModel):
    """A member's user id on a chat platform or sign-on provider, in one organization: set
    by the org-chart import (from a DingTalk, WeCom or Feishu contacts export) or by a first
    single sign-on that matched a verified e-mail. A sign-in by that provider with that id
    is this user, in this organization only; it never creates a member."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_identities"
    )
    provider = models.CharField(_("platform"), max_length=20, choices=IdentityProvider.choices)
    uid = models.CharField(_("platform user id"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("platform identity")
        verbose_name_plural = _("platform identities")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "uid"], name="member_identity_unique_uid"
            ),
            models.UniqueConstraint(
                fields=["organization", "provider", "user"], name="member_identity_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.uid}"


class DepartmentKind(models.TextChoices):
    MANAGEMENT = "management", _("Management")
    BUSINESS = "business", _("Business")


class DepartmentFunction(models.TextChoices):
    HR = "hr", _("Human resources")
    FINANCE = "finance", _("Finance")
    ADMIN = "admin", _("Administration")
    IT = "it", _("IT")
    LEGAL = "legal", _("Legal")
    SALES = "sales", _("Sales")
    PRODUCTION = "production", _("Production")
    RND = "rnd", _("R&D")
    SERVICE = "service", _("Customer service")
    MARKETING = "marketing", _("Marketing")
    OTHER = "other", _("Other")


class LocalizedName(models.Model):
    """A name kept in the organization's language, with an optional English rendering."""

    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Department(TenantModel, LocalizedName):
    code = models.SlugField(_("code"), max_length=40, allow_unicode=False)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
    function = models.CharField(_("function"), max_length=20, choices=DepartmentFunction.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    weight_in_parent = models.DecimalField(
        _("weight in parent"),
        max_digits=7,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="DepartmentManager",
        related_name="managed_departments",
        blank=True,
        verbose_name=_("managers"),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="department_unique_code"),
            models.CheckConstraint(
                condition=models.Q(weight_in_parent__gte=0), name="department_weight_nonneg"
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="department_not_own_parent"
            ),
        ]


class DepartmentManager(TenantModel):
    """A user who manages a department (and so its sub-departments)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "department", "user"], name="department_manager_unique"
            )
        ]


class DepartmentClosure(TenantModel):
    """Closure table of the department tree: one row per (ancestor, descendant) pair,
    including (d, d, 0). Roll-ups and "sub-departments of" become one join."""

    ancestor = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    descendant = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "ancestor", "descendant"], name="closure_unique_pair"
            )
        ]
        indexes = [models.Index(fields=["organization", "descendant"])]


def managed_department_ids(*, org, user) -> frozenset[int]:
    """Departments the user manages, directly or as a sub-department of one (one query).

    Here beside the models it reads (not in selectors, which import this module) because
    ``Membership.managed_ids`` needs it; ``departments.selectors`` exports it as a selector."""
    managed = DepartmentManager.objects.for_org(org).filter(user=user).values("department_id")
    rows = (
        DepartmentClosure.objects.for_org(org)
        .filter(ancestor_id__in=managed)
        .values_list("descendant_id", flat=True)
    )
    return frozenset(rows)


class NotificationKind(models.TextChoices):
    ENTRY_DUE_SOON = "entry_due_soon", _("Actuals due soon")
    ENTRY_OVERDUE = "entry_overdue", _("Actuals overdue")
    HR_LATE_SUMMARY = "hr_late_summary", _("Summary of late departments (HR)")
    KPI_RED = "kpi_red", _("A KPI turned red")
    REVIEWS_WAITING = "reviews_waiting", _("Reviews waiting for approval (weekly)")
    GRADE_APPEAL = "grade_appeal", _("Appeals of grades and their decisions")
    BRIEFING = "briefing", _("The monthly briefing book (executives)")
    REVIEW_STEP = "review_step", _("A review reaches a step you hold")
    THREAD_MENTION = "thread_mention", _("Someone mentions you in a discussion")
    THREAD_REPLY = "thread_reply", _("A reply to your post in a discussion")
    ACTION_DUE_SOON = "action_due_soon", _("An action you own is due soon")
    ACTION_OVERDUE = "action_overdue", _("An action you own is overdue")
    VALUE_REJECTED = "value_rejected", _("A value you entered was rejected")
    VALUES_TO_CONFIRM = "values_to_confirm", _("Values awaiting your confirmation (daily)")
    CALIBRATION_PUBLISHED = "grades_published", _("Grades of a period are published")
    FEED_FAILING = "feed_failing", _("A data feed keeps failing (admins)")


# Kinds told to one person by e-mail only: they are not posted on chat channels (not yet
# routable in messaging); every other kind may be routed to a channel.
EMAIL_ONLY_KINDS = frozenset(
    {
        NotificationKind.THREAD_MENTION,
        NotificationKind.THREAD_REPLY,
        NotificationKind.ACTION_DUE_SOON,
        NotificationKind.ACTION_OVERDUE,
        NotificationKind.VALUE_REJECTED,
        NotificationKind.VALUES_TO_CONFIRM,
    }
)
ROUTABLE_KINDS = [(k, label) for k, label in NotificationKind.choices if k not in EMAIL_ONLY_KINDS]
# Kinds posted on chat channels only (no e-mail): not among the e-mails one turns off.
CHAT_ONLY_KINDS = frozenset({NotificationKind.CALIBRATION_PUBLISHED})
EMAIL_KINDS = [(k, label) for k, label in NotificationKind.choices if k not in CHAT_ONLY_KINDS]


class Profile(models.Model):
    """A user's own preferences, whatever their organizations: the language of their emails
    (blank: each organization's) and the kinds of email they turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="perfhub_profile"
    )
    language = models.CharField(
        _("language of emails"), max_length=10, choices=Language.choices, blank=True
    )
    muted = models.JSONField(_("emails turned off"), default=list, blank=True)

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return kind not in (self.muted or [])


class Invitation(TenantModel):
    """An offer of a role in the organization that the invitee must accept (by the link of
    the invitation email, or from their own organization list for a username invitation).

    Until it is accepted nothing about the invitee is shown to the organization: `target` is
    what the inviter typed (an e-mail address or a username), `invited_user` the account of
    a username invitation (private: used to show the invitation to that user and to let only
    them accept it; empty when no such account exists). Only the SHA-256 of the link's token
    is stored."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail address")
        USERNAME = "username", _("Username")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    kind = models.CharField(_("invited with"), max_length=10, choices=Kind.choices)
    target = models.CharField(_("invitee"), max_length=254)
    invited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # A username invitation is shown to its invitee on their organization list, before they
    # belong to the organization (perfhub.rls: read-only, their own rows).
    rls_readable_by_user = "invited_user"

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "token_hash"], name="invitation_unique_token"
            )
        ]
        indexes = [models.Index(fields=["organization", "target"])]

    def __str__(self) -> str:
        return f"{self.target} ({self.role})"

    def status_at(self, now) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.declined_at:
            return self.Status.DECLINED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())
