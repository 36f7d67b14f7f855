"""The org-chart import: upload (read and store, nothing else written) → preview →
confirm (all or nothing) → optionally deactivate the members the file no longer lists.
Pages and API call these; reads of uploads are here too (`upload_list`, `upload_get`)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.org_chart import members_deactivate, org_chart_apply
from perfhub import tenancy

from . import plan as plans
from .models import OrgChartUpload
from .reading import read_upload
from .tasks import send_password_links

log = logging.getLogger(__name__)


class ImportChanged(Exception):
    """The organization changed since the preview: look at the new one and confirm again."""


class ImportRefused(Exception):
    """The upload has bad rows (`errors`): nothing was written."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


def upload_list(*, org) -> QuerySet[OrgChartUpload]:
    """The organization's uploads, newest first, with who uploaded them."""
    return OrgChartUpload.objects.for_org(org).select_related("created_by").order_by("-created_at")


def upload_get(*, org, pk) -> OrgChartUpload:
    """One upload of the organization, or 404 (also for another tenant's id)."""
    return tenancy.get_or_404(upload_list(org=org), pk)


def upload_plan(*, upload: OrgChartUpload, by_membership) -> plans.Plan:
    """What the upload would do now (the preview)."""
    return plans.build(
        org=upload.organization,
        parsed=upload.parsed,
        by_membership=by_membership,
        platform=upload.platform,
    )


@transaction.atomic
def upload_create(*, org, by, by_membership, file, file_name: str, platform: str = ""):
    """Read the file (SpreadsheetRefused when it cannot be read as a whole) and keep its
    rows with the digest of its preview. Writes nothing else. Returns (upload, plan)."""
    if platform and platform not in plans.PLATFORMS.values():
        raise ValidationError({"platform": [_("Choose DingTalk, WeCom, Feishu or OIDC.")]})
    parsed = read_upload(file, file_name)
    upload = OrgChartUpload(
        organization=org,
        created_by=by,
        file_name=(file_name or "")[:255],
        platform=platform,
        parsed=parsed,
    )
    plan = plans.build(org=org, parsed=parsed, by_membership=by_membership, platform=platform)
    upload.digest = plan.digest
    upload.save()
    return upload, plan


@transaction.atomic
def upload_confirm(
    *, upload: OrgChartUpload, by, by_membership, send_links: bool = False, digest: str = ""
):
    """Write what the preview showed, all or nothing. `digest` is that of the preview the
    person saw (the page and the API give it; else the one of the upload). ImportRefused
    when rows are bad; ImportChanged when the organization changed since that preview;
    ValidationError when the upload was already imported. With `send_links`, the new
    people get an e-mail with a link to set their password (a job, after commit)."""
    org = upload.organization
    upload = OrgChartUpload.objects.for_org(org).select_for_update().get(pk=upload.pk)
    if upload.status == OrgChartUpload.Status.APPLIED:
        raise ValidationError({"upload": [_("This file has already been imported.")]})
    plan = upload_plan(upload=upload, by_membership=by_membership)
    if plan.errors:
        raise ImportRefused(plan.errors)
    if plan.digest != (digest or upload.digest):
        raise ImportChanged
    result = org_chart_apply(
        org=org, by=by, departments=plan.department_writes, people=plan.person_writes
    )
    upload.status = OrgChartUpload.Status.APPLIED
    upload.applied_at = timezone.now()
    upload.result = {
        "departments_created": result.departments_created,
        "departments_changed": result.departments_changed,
        "people_created": result.people_created,
        "people_changed": result.people_changed,
        "created_user_ids": result.created_user_ids,
        "links_sent": bool(send_links and result.created_user_ids),
    }
    upload.save(update_fields=["status", "applied_at", "result"])
    if send_links and result.created_user_ids:
        ids = list(result.created_user_ids)
        transaction.on_commit(lambda: _enqueue_links(org.pk, ids))
    return upload, plan


def _enqueue_links(org_id: int, user_ids: list[int]) -> None:
    try:
        send_password_links.apply_async(kwargs={"organization_id": org_id, "user_ids": user_ids})
    except Exception:  # noqa: BLE001 - the import stands; HR can send links from the members
        log.warning("org chart: password links not queued", exc_info=True)


def upload_deactivate_missing(*, upload: OrgChartUpload, by, by_membership) -> int:
    """Deactivate, in one action, the active members an imported file does not list (as
    its page shows them now). Returns how many."""
    if upload.status != OrgChartUpload.Status.APPLIED:
        raise ValidationError({"upload": [_("Import the file first.")]})
    plan = upload_plan(upload=upload, by_membership=by_membership)
    return members_deactivate(
        org=upload.organization,
        by=by,
        by_membership=by_membership,
        membership_ids=[m["id"] for m in plan.missing],
    )
