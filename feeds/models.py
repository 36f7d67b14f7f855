"""Scheduled data feeds (issue 20 part 4): actuals read from an ERP, CRM or ticket system
on a schedule instead of being retyped.

- AllowedHost: the addresses an organization's feeds may reach (its admin's allow-list).
- DataFeed: a source (a read-only SQL query on PostgreSQL or MySQL, or an .xlsx/.csv at an
  HTTP(S) address), its schedule and the mapping of its columns to department, KPI, period
  and value. The address and the password are encrypted at rest and never shown back.
- FeedRun: one run (scheduled, "run now" or a dry run) and what came of it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from perfhub.secrets import EncryptedTextField
from perfhub.tenancy import TenantModel


class AllowedHost(TenantModel):
    """An address feeds may connect to: a host name, an IP address or a network (CIDR),
    with a port or any port. Private, loopback and link-local addresses are reachable only
    through an IP or network entry that covers them (feeds.network)."""

    address = models.CharField(_("host, IP address or network"), max_length=253)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allowed address")
        verbose_name_plural = _("allowed addresses")
        ordering = ["address", "port"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address", "port"],
                name="allowedhost_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.address if self.port is None else f"{self.address}:{self.port}"


class FeedKind(models.TextChoices):
    POSTGRES = "postgres", _("PostgreSQL query")
    MYSQL = "mysql", _("MySQL query")
    FILE = "file", _("File at an address (.xlsx, .csv)")


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"


class DataFeed(TenantModel):
    """Where a feed reads, when, and how its columns map to actuals."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("source"), max_length=10, choices=FeedKind.choices)
    # The whole address (it may hold a user name or a token): encrypted, never shown back.
    url = EncryptedTextField(_("address"))
    url_hint = models.CharField(max_length=300, blank=True)  # scheme, host, port, path
    password = EncryptedTextField(_("password"), blank=True)
    query = models.TextField(_("SQL query"), blank=True)
    file_format = models.CharField(
        _("file format"), max_length=4, choices=FileFormat.choices, blank=True
    )
    department_column = models.CharField(_("department code column"), max_length=100)
    kpi_column = models.CharField(_("indicator code column"), max_length=100)
    period_column = models.CharField(_("period column"), max_length=100)
    value_column = models.CharField(_("value column"), max_length=100)
    note_column = models.CharField(_("note column"), max_length=100, blank=True)
    schedule = models.CharField(_("schedule (cron)"), max_length=100, blank=True)
    wins_over_people = models.BooleanField(
        _("the feed wins over values typed by people"), default=False
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    alert_after = models.PositiveSmallIntegerField(_("alert after failed runs"), default=3)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    alerted_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data feed")
        verbose_name_plural = _("data feeds")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="datafeed_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    @property
    def is_sql(self) -> bool:
        return self.kind in (FeedKind.POSTGRES, FeedKind.MYSQL)


class FeedRun(TenantModel):
    """One run of a feed. All or nothing: `created`/`changed` are what it saved (or, for a
    dry run, would have saved); `problems` lists every refused row as {"row", "column",
    "message"}; `skipped` the rows left alone ({"row", "message"}: a value a person typed);
    `changes` what changed ({"department", "kpi", "period", "old", "new"}, the first
    PERFHUB_FEED_CHANGES_SHOWN)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        RETRYING = "retrying", _("waiting to retry")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        MANUAL = "manual", _("run now")
        API = "api", _("API")

    feed = models.ForeignKey(DataFeed, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    skipped_rows = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "feed", "state"])]

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
