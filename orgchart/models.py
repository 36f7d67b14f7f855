"""An org-chart upload, kept between its preview and HR's confirmation."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfhub.tenancy import TenantModel


class OrgChartUpload(TenantModel):
    """The parsed rows of an uploaded org chart (orgchart.reading), what its preview showed
    (`digest`: the confirm is refused when the organization changed since), and once
    confirmed what it did. Nothing of the file is written to the organization before the
    confirm."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        APPLIED = "applied", _("Imported")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=255)
    platform = models.CharField(_("platform of the user ids"), max_length=20, blank=True)
    parsed = models.JSONField(default=dict)
    digest = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("org-chart upload")
        verbose_name_plural = _("org-chart uploads")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name
