"""The monthly briefing book (issue 17).

- Briefing: one PDF of a period, asked for by someone (or by the schedule), rendered in the
  background (briefings.tasks.render_briefing). The PDF is kept in the row, as
  metrics.Upload keeps its file: a book is a few hundred kilobytes and is read whole.
- BriefingSchedule: the organization's standing order (one row, made on first save; off
  until then): the book of each month that closed, e-mailed to the executives on the Nth
  working day after it ended (briefings.services.scheduled_send). Audited by database
  triggers (pghistory), as the grading policy is.
"""

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Language
from metrics.models import Period
from perfhub.tenancy import TenantModel


class Briefing(TenantModel):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.TextField(_("error"), blank=True)
    # The rendered PDF, empty until the job has run.
    pdf = models.BinaryField(editable=False, default=b"")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    scheduled = models.BooleanField(_("sent by the schedule"), default=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period.label} ({self.language})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def file_name(self) -> str:
        """ASCII whatever the language (a header value): briefing-2026-03-en.pdf,
        briefing-2026-Q1-zh-hans.pdf, briefing-FY2026-en.pdf."""
        period = self.period
        if period.kind == "month":
            name = f"{period.start:%Y-%m}"
        elif period.kind == "quarter":
            name = f"{period.fiscal_year}-Q{period.number}"
        else:
            name = f"FY{period.fiscal_year}"
        return f"briefing-{name}-{self.language}.pdf"


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), model_name="BriefingScheduleEvent"
)
class BriefingSchedule(TenantModel):
    enabled = models.BooleanField(_("e-mail the book to the executives every month"), default=False)
    working_day_after_close = models.PositiveSmallIntegerField(
        _("working day after the month ends"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("1 to 10: Monday to Friday count, weekends do not."),
    )
    language = models.CharField(
        _("language of the book"), max_length=10, choices=Language.choices, default="zh-hans"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="briefing_schedule_one"),
            models.CheckConstraint(
                condition=models.Q(working_day_after_close__gte=1)
                & models.Q(working_day_after_close__lte=10),
                name="briefing_schedule_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"briefing schedule of {self.organization_id}"
