"""The column headers and sheet name of the entry file (metrics.spreadsheets), in every
language PerfHub speaks, and the one rule an upload uses to recognise them.

A template is written with the headers of the downloader's language ("实际值", "Value"); a
file comes back from someone else, or was downloaded in the other language, or is an older
file or a CSV with the code names ("value"). `column_for(header)` maps any of them to the
code name, so reading does not depend on the language a file was written in.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext_lazy

# Code name → header shown in the file (msgctxt keeps these apart from page words).
LABELS = {
    "period_id": pgettext_lazy("entry file column", "Period id"),
    "period": pgettext_lazy("entry file column", "Period"),
    "department_code": pgettext_lazy("entry file column", "Department code"),
    "department": pgettext_lazy("entry file column", "Department"),
    "kpi_id": pgettext_lazy("entry file column", "KPI id"),
    "indicator_code": pgettext_lazy("entry file column", "Indicator code"),
    "indicator": pgettext_lazy("entry file column", "Indicator"),
    "unit": pgettext_lazy("entry file column", "Unit"),
    "target": pgettext_lazy("entry file column", "Target"),
    "value": pgettext_lazy("entry file column", "Value"),
    "note": pgettext_lazy("entry file column", "Note"),
    "version": pgettext_lazy("entry file column", "Version"),
}
SHEET = pgettext_lazy("entry file sheet", "Entries")
# The sheet name of files written before the names were translated.
LEGACY_SHEET = "entries"


def labels(columns) -> list[str]:
    """The headers of `columns` (code names) in the active language."""
    return [str(LABELS[c]) for c in columns]


def sheet_title() -> str:
    """The data sheet's name in the active language."""
    return str(SHEET)


def _normal(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).casefold()


@cache
def _accepted(language_codes: tuple[str, ...]) -> tuple[dict[str, str], frozenset[str]]:
    headers: dict[str, str] = {_normal(code): code for code in LABELS}
    sheets = {LEGACY_SHEET}
    for code in language_codes:
        with translation.override(code):
            for name, label in LABELS.items():
                headers.setdefault(_normal(str(label)), name)
            sheets.add(str(SHEET))
    return headers, frozenset(sheets)


def _languages() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def column_for(header) -> str | None:
    """The code name of a header cell: its code name or its label in any language, case,
    spacing and a byte-order mark ignored; None for a header PerfHub does not read."""
    if not isinstance(header, str):
        return None
    return _accepted(_languages())[0].get(_normal(header))


def data_sheet_names() -> frozenset[str]:
    """Every name the data sheet may have (any language, and the legacy "entries")."""
    return _accepted(_languages())[1]
