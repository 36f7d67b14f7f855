"""English dates PerfHub writes on pages and in e-mails: day, month name, year (6 Dec 2026),
never 12/06/2026, which readers outside the US take for 12 June. Files use ISO dates.
Only the output formats change; Django's English input formats still apply."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
