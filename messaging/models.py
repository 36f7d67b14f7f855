"""Message channels of an organization (issue 18 §1): DingTalk, WeCom and Feishu group
robots and e-mail addresses; which kinds of notification go to which channel (Route); and
each message sent or tried (Delivery, at most one per channel and event)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import NotificationKind
from perfhub.secrets import EncryptedTextField
from perfhub.tenancy import TenantModel


class ChannelKind(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")
    FEISHU = "feishu", _("Feishu custom bot")
    EMAIL = "email", _("E-mail address")


class Channel(TenantModel):
    """Where messages go. The webhook address (it holds the robot's access token) and the
    signing secret or key are encrypted at rest and never shown back."""

    kind = models.CharField(_("platform"), max_length=10, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    webhook_url = EncryptedTextField(_("robot's address"), blank=True)
    webhook_hint = models.CharField(max_length=120, blank=True)  # host and path, no token
    secret = EncryptedTextField(_("signing secret or key"), blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("A department's own group: only messages about that department."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message channel")
        verbose_name_plural = _("message channels")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="channel_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)


class Route(TenantModel):
    """One kind of notification goes to one channel."""

    kind = models.CharField(_("notification"), max_length=20, choices=NotificationKind.choices)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="routes")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "channel"], name="route_unique_kind_channel"
            )
        ]


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(TenantModel):
    """One message to one channel about one event (its key: a period's reminder, a review's
    move, ...). The unique row is what keeps an event from being sent twice to a channel;
    the message is stored as rendered (in the organization's language) so a retry sends
    the same text."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=20, blank=True)  # blank: a test message
    event_key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    text = models.TextField()
    url = models.CharField(max_length=500)
    mentions = models.JSONField(default=list, blank=True)  # the platform's user ids
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "event_key"], name="delivery_once"
            )
        ]
