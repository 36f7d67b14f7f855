"""Pages of the org-chart import: upload, preview (and confirm), deactivate the members a
file no longer lists, the template. HR and admins (can_configure)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.access import org_view
from departments.models import Role
from departments.permissions import can_configure
from metrics import workbooks
from metrics.spreadsheets import SpreadsheetRefused, megabytes, too_large_message
from perfhub.uploads import request_too_large

from . import services
from .forms import ConfirmForm, UploadForm
from .reading import MAX_ROWS
from .template import template_bytes


@org_view(can_configure)
def import_upload(request):
    """The form; a valid file is kept and its preview shown (nothing else is written)."""
    status = 200
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request_too_large(request):
        form = UploadForm(data={}, files={})
        form.is_valid()
        form.errors["file"] = form.error_class([too_large_message()])
        status = 413
    elif request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload, _plan = services.upload_create(
                org=request.org,
                by=request.user,
                by_membership=request.membership,
                file=file,
                file_name=file.name,
                platform=form.cleaned_data["platform"],
            )
        except SpreadsheetRefused as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("org_chart_preview", slug=request.org.slug, pk=upload.pk)
    context = {
        "form": form,
        "uploads": services.upload_list(org=request.org)[:10],
        "max_mb": megabytes(settings.PERFHUB_MAX_UPLOAD_BYTES),
        "max_rows": f"{MAX_ROWS:,}",
    }
    return render(request, "orgchart/upload.html", context, status=status)


@org_view(can_configure)
def import_preview(request, pk):
    """What the upload will do (or did), its bad rows, and the confirm form."""
    upload = services.upload_get(org=request.org, pk=pk)
    plan = services.upload_plan(upload=upload, by_membership=request.membership)
    context = {"upload": upload, "plan": plan, "form": ConfirmForm(), **_shown(plan)}
    return render(request, "orgchart/preview.html", context)


SHOWN = 300  # rows of each preview table on the page (the counts are whole)


def _shown(plan) -> dict:
    """The preview's tables as the page shows them: roles and fields by their labels."""
    roles = dict(Role.choices)
    fields = {
        "is_active": _("active"),
        "role": _("role"),
        "department": _("department"),
        "title": _("job title"),
        "mobile": _("mobile"),
        "identity": _("platform user id"),
        "manages": _("manager of"),
        "name": _("name"),
        "name_en": _("English name"),
        "kind": _("kind"),
        "function": _("function"),
        "parent": _("parent department"),
    }

    def changes(rows):
        return [
            {
                **r,
                "changes": [
                    {**c, "label": fields.get(c["field"], c["field"])} for c in r["changes"]
                ],
            }
            for r in rows[:SHOWN]
        ]

    return {
        "people_new": [
            {**p, "role_label": roles.get(p["role"], p["role"])} for p in plan.people_new[:SHOWN]
        ],
        "people_changed": changes(plan.people_changed),
        "departments_changed": changes(plan.departments_changed),
        "departments_new": plan.departments_new[:SHOWN],
        "missing": [
            {**m, "role_label": roles.get(m["role"], m["role"])} for m in plan.missing[:SHOWN]
        ],
        "errors": plan.errors[:1000],
        "shown": SHOWN,
    }


@require_POST
@org_view(can_configure)
def import_confirm(request, pk):
    upload = services.upload_get(org=request.org, pk=pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    try:
        upload, _plan = services.upload_confirm(
            upload=upload,
            by=request.user,
            by_membership=request.membership,
            send_links=form.cleaned_data.get("send_links", False),
            digest=form.cleaned_data.get("digest", ""),
        )
    except services.ImportRefused:
        messages.error(
            request, _("Nothing was imported: correct the rows listed and upload again.")
        )
    except services.ImportChanged:
        messages.warning(
            request,
            _(
                "The organization changed since this preview. Check the new preview and "
                "confirm again."
            ),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Org chart imported."))
    return redirect("org_chart_preview", slug=request.org.slug, pk=upload.pk)


@require_POST
@org_view(can_configure)
def import_deactivate(request, pk):
    upload = services.upload_get(org=request.org, pk=pk)
    try:
        count = services.upload_deactivate_missing(
            upload=upload, by=request.user, by_membership=request.membership
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Members deactivated: %(n)s.") % {"n": count})
    return redirect("org_chart_preview", slug=request.org.slug, pk=upload.pk)


@org_view(can_configure)
def import_template(request):
    """The template, headers in the page's language."""
    response = HttpResponse(template_bytes(), content_type=workbooks.XLSX)
    language = "en" if (get_language() or "").startswith("en") else "zh"
    response["Content-Disposition"] = (
        f'attachment; filename="perfhub-org-chart-template-{language}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
