"""Pages: download the entry grid as Excel or CSV, fill it offline, upload it (SPEC §5).

Admin and HR may use them for every department, a manager for the departments they manage
(and their sub-departments); the same rule is applied again to every uploaded row by
actuals_save, so a file cannot reach a department its uploader may not enter."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.access import org_view
from departments.permissions import can_configure, can_enter_actuals, is_manager
from departments.selectors import department_get, department_list
from perfhub.uploads import request_too_large

from .. import selectors, spreadsheets
from ..models import PeriodKind, PeriodStatus
from ..services import uploads as upload_services

# Admin and HR enter any actual, a manager those of their departments (checked per row).
can_enter_some = can_configure | is_manager

_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Filled-in spreadsheet (.xlsx or .csv)"))


def _departments(request):
    """(ids, department): the departments the download covers - the one asked for with
    ?department=<id> (404 outside the org, 403 when the member may not enter it) or every
    active department the member may enter (department None)."""
    raw = request.GET.get("department")
    if raw:
        department = department_get(org=request.org, pk=raw)
        if not can_enter_actuals(request.membership, department):
            raise PermissionDenied
        return [department.pk], department
    return [d.pk for d in _enterable(request)], None


def _enterable(request):
    return [
        d
        for d in department_list(org=request.org, active_only=True)
        if can_enter_actuals(request.membership, d)
    ]


def _attachment(*, ascii_name: str, name: str) -> str:
    """An ASCII file name for every browser, the readable one for those that know RFC 6266."""
    name = _UNSAFE_FILENAME.sub("_", name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _download(request, period_id, extension: str):
    period = selectors.period_get(org=request.org, pk=period_id)
    department_ids, department = _departments(request)
    build = spreadsheets.workbook_for if extension == "xlsx" else spreadsheets.csv_for
    try:
        data = build(org=request.org, period=period, department_ids=department_ids)
    except spreadsheets.SpreadsheetRefused as exc:
        messages.error(request, exc.message)
        return redirect("entries_upload", slug=request.org.slug)
    key = spreadsheets.period_key(period)
    scope = department.code if department else "all"
    label = department.display_name if department else _("all departments")
    content_type = (
        spreadsheets.XLSX_CONTENT_TYPE if extension == "xlsx" else spreadsheets.CSV_CONTENT_TYPE
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = _attachment(
        ascii_name=f"perfhub-{request.org.slug}-{key}-{scope}.{extension}",
        name=f"PerfHub {request.org.name} {key} {label}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@org_view(can_enter_some)
def entries_download(request, period_id):
    return _download(request, period_id, "xlsx")


@org_view(can_enter_some)
def entries_download_csv(request, period_id):
    return _download(request, period_id, "csv")


@org_view(can_enter_some)
def entries_upload(request):
    if request.method == "GET" and request.GET.get("format") in {"xlsx", "csv"}:
        return _redirect_to_download(request)
    problems = None
    status = 200
    if request.method == "POST" and request_too_large(request):
        # Refused from the declared length; the file was not stored (perfhub.uploads).
        form = UploadForm(data={}, files={})
        form.is_valid()
        form.errors["file"] = form.error_class([spreadsheets.too_large_message()])
        status = 413
    elif request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
    else:
        form = UploadForm()
    if request.method == "POST" and status == 200 and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = spreadsheets.read_rows(upload, upload.name)
            if len(rows) > settings.PERFHUB_UPLOAD_INLINE_ROWS:
                return _in_background(request, upload, len(rows))
            result = spreadsheets.import_rows(
                org=request.org, by=request.user, membership=request.membership, rows=rows
            )
        except spreadsheets.SpreadsheetRefused as exc:
            form.add_error("file", exc.message)
        except spreadsheets.ImportRefused as exc:
            problems = exc.rows
        else:
            if result.created or result.updated or result.unchanged:
                messages.success(
                    request,
                    _(
                        "Imported %(name)s: %(created)s new, %(updated)s changed, "
                        "%(unchanged)s unchanged."
                    )
                    % {
                        "name": upload.name,
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
            else:
                messages.info(request, _("Nothing to save: every value cell was empty."))
            return redirect("entries_upload", slug=request.org.slug)
    periods: dict[str, list] = {}
    for period in selectors.period_list(org=request.org, status=PeriodStatus.OPEN).order_by(
        "-start"
    ):
        periods.setdefault(period.kind, []).append(period)
    current = selectors.period_pick(org=request.org)
    return render(
        request,
        "metrics/imports/upload.html",
        {
            "form": form,
            "problems": problems,
            "problem_rows": len({p.row for p in problems or []}),
            "periods": [
                (label, periods[kind]) for kind, label in PeriodKind.choices if kind in periods
            ],
            "current": current,
            "departments": _enterable(request),
            "max_mb": spreadsheets.megabytes(settings.PERFHUB_MAX_UPLOAD_BYTES),
            "max_rows": f"{spreadsheets.MAX_ROWS:,}",
        },
        status=status,
    )


def _in_background(request, upload, rows: int):
    """Too many rows to import within the request: keep the file, let the job import it,
    show its progress."""
    upload.seek(0)
    kept = upload_services.upload_create(
        org=request.org,
        by=request.user,
        file_name=upload.name,
        content=upload.read(),
        rows=rows,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return redirect("entries_upload_status", slug=request.org.slug, pk=kept.pk)


@org_view(can_enter_some)
def entries_upload_status(request, pk):
    """A background upload's progress (polled by htmx while it runs), then its result.
    Only its uploader sees it."""
    upload = selectors.upload_get(org=request.org, pk=pk, by=request.user)
    template = "metrics/imports/upload_status.html"
    if request.htmx:
        template += "#progress"
    return render(
        request,
        template,
        {"upload": upload, "problem_rows": len({p["row"] for p in upload.problems})},
    )


def _redirect_to_download(request):
    """The download form of the upload page (GET, no script) lands here."""
    period = selectors.period_get(org=request.org, pk=request.GET.get("period"))
    name = "entries_download" if request.GET["format"] == "xlsx" else "entries_download_csv"
    url = reverse(name, kwargs={"slug": request.org.slug, "period_id": period.pk})
    department = request.GET.get("department")
    if department:
        url += "?" + urlencode({"department": department})
    return redirect(url)


urlpatterns = [
    path("entries/<int:period_id>/download/", entries_download, name="entries_download"),
    path("entries/<int:period_id>/download.csv", entries_download_csv, name="entries_download_csv"),
    path("entries/upload/", entries_upload, name="entries_upload"),
    path("entries/uploads/<int:pk>/", entries_upload_status, name="entries_upload_status"),
]
