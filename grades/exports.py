"""The coefficients workbook for payroll (issue 17): a published calibration's grades, one
row per department (code, name, group, score, computed and final grade, coefficient and
the reason of a move), as frozen at publication. Only published grades leave PerfHub: an
open calibration is still being argued over. The look is metrics.workbooks'.

A view calls it in one line:
    grades_workbook(org=request.org, calibration=calibration,
                    language=request.LANGUAGE_CODE, by=request.user)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.models import DepartmentKind
from metrics import workbooks as wbk
from metrics.workbooks import XLSX, Column
from perfhub.names import display_name

from . import selectors
from .models import CalibrationState

__all__ = ["XLSX", "grades_workbook"]

COMPANY = "company"  # the group of every department when the guideline is company-wide
GROUP_ORDER = {DepartmentKind.MANAGEMENT: 0, DepartmentKind.BUSINESS: 1, COMPANY: 2}


def _group_label(group: str) -> str:
    """The group a department was graded in, in words (the frozen `group` of its grade)."""
    if group == COMPANY:
        return _("Whole company")
    if group in DepartmentKind.values:
        return str(DepartmentKind(group).label)
    return group


def _publication(calibration) -> str:
    """Who published the grades when: payroll can tell one publication from the next."""
    time = timezone.localtime(calibration.published_at).strftime("%Y-%m-%d %H:%M")
    if calibration.published_by is None:  # the publisher's account was deleted since
        return _("Published at %(time)s") % {"time": time}
    return _("Published at %(time)s by %(name)s") % {
        "time": time,
        "name": display_name(calibration.published_by),
    }


def grades_workbook(*, org, calibration, language: str, by=None) -> bytes:
    """The published grades of `calibration` as an .xlsx in `language` (headers, period,
    group and department names): a title block naming the organization and period, the
    time of export (and `by` whom) and who published the grades when; then one row per
    department, management first, by department code. Refused (ValidationError on
    "calibration") for another organization's calibration or one that is not published."""
    if calibration.organization_id != org.pk:
        raise ValidationError({"calibration": [_("Unknown calibration.")]})
    if calibration.state != CalibrationState.PUBLISHED:
        raise ValidationError(
            {
                "calibration": [
                    _("These grades are not published: only published grades can be exported.")
                ]
            }
        )
    # Rows read from the published grades alone (grade_list): a calibration reopened since
    # the caller fetched it yields no stale rows.
    grades = sorted(
        selectors.grade_list(org=org, period=calibration.period),
        key=lambda g: (GROUP_ORDER.get(g.group, len(GROUP_ORDER)), g.department.code),
    )
    with translation.override(language):
        heading, exported = wbk.title_lines(org=org, period=calibration.period, by=by)
        published = _publication(calibration)
        wb = wbk.new_workbook()
        wbk.add_table(
            wb,
            title=_("Grades"),
            heading=(heading, f"{exported} · {published}"),
            columns=[
                Column(_("Code")),
                Column(_("Department")),
                Column(_("Group")),
                Column(_("Score"), wbk.SCORE),
                Column(_("Computed grade")),
                Column(_("Final grade")),
                Column(_("Coefficient"), wbk.COEFFICIENT),
                Column(_("Reason")),
            ],
            rows=[
                [
                    g.department.code,
                    g.department.display_name,
                    _group_label(g.group),
                    g.score,
                    g.computed,
                    g.final,
                    g.coefficient,
                    # a reason only explains a move: one left from before a move back is not
                    g.reason if g.final != g.computed else "",
                ]
                for g in grades
            ],
        )
        return wbk.save(wb)
