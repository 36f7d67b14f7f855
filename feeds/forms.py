"""Forms of the feed pages. The address and the password are write-only: the fields start
blank, a blank field keeps what is stored."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FeedKind, FileFormat


class AllowedHostForm(forms.Form):
    address = forms.CharField(
        label=_("Host, IP address or network"),
        max_length=253,
        help_text=_(
            "erp.example.com, 10.0.0.5 or 10.0.0.0/24. Addresses of the company network "
            "(private, loopback) are reachable only through an IP address or network entry."
        ),
    )
    port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Leave blank for any port."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class FeedForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Source"), choices=FeedKind.choices)
    url = forms.CharField(
        label=_("Address"),
        max_length=1000,
        required=False,
        help_text=_(
            "postgresql://user@host:5432/database, mysql://user@host:3306/database or "
            "https://host/path/export.xlsx. Stored encrypted and never shown again: leave "
            "blank to keep the current one."
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again: leave blank to keep the current one."),
    )
    clear_password = forms.BooleanField(label=_("Remove the stored password"), required=False)
    query = forms.CharField(
        label=_("SQL query (database sources)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One SELECT; it runs in a read-only transaction with a time limit."),
    )
    file_format = forms.ChoiceField(
        label=_("File format (file sources)"),
        required=False,
        choices=[("", _("By the file's name")), *FileFormat.choices],
    )
    department_column = forms.CharField(label=_("Department code column"), max_length=100)
    kpi_column = forms.CharField(label=_("Indicator code column"), max_length=100)
    period_column = forms.CharField(
        label=_("Period column"),
        max_length=100,
        help_text=_("Values such as 2026-03, fy2026-q1, fy2026 or a date in the period."),
    )
    value_column = forms.CharField(label=_("Value column"), max_length=100)
    note_column = forms.CharField(label=_("Note column (optional)"), max_length=100, required=False)
    schedule = forms.CharField(
        label=_("Schedule (cron)"),
        max_length=100,
        required=False,
        help_text=_(
            "minute hour day month weekday, e.g. “0 6 * * *” every day at 06:00. "
            "Blank: run by hand only."
        ),
    )
    wins_over_people = forms.BooleanField(
        label=_("The feed replaces values people entered after it was set up"), required=False
    )
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    alert_after = forms.IntegerField(
        label=_("Alert the admins after this many failed runs in a row"),
        min_value=1,
        max_value=100,
        initial=3,
    )
