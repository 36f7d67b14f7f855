"""The org-chart import through the API: upload (→ preview), read it again, confirm,
deactivate the members the file does not list. HR and admins; the same services as the
pages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import can_configure
from metrics.spreadsheets import SpreadsheetRefused

from .. import services
from ..models import OrgChartUpload
from .serializers import (
    DeactivatedOut,
    ImportProblemOut,
    OrgChartConfirmIn,
    UploadIn,
    UploadOut,
)


def _out(upload, plan) -> dict:
    return {
        "id": upload.pk,
        "file_name": upload.file_name,
        "platform": upload.platform,
        "status": upload.status,
        "digest": plan.digest,
        "created_at": upload.created_at,
        "applied_at": upload.applied_at,
        "result": upload.result,
        "preview": plan.preview(),
        "errors": plan.errors,
    }


class OrgChartImportViewSet(OrgViewSet):
    read_predicate = staticmethod(can_configure)
    write_predicate = staticmethod(can_configure)
    serializer_class = UploadOut

    @property
    def schema_model(self):
        return OrgChartUpload

    def scoped_queryset(self):
        return services.upload_list(org=self.org)

    def _upload(self, pk):
        return services.upload_get(org=self.org, pk=pk)

    @extend_schema(request={"multipart/form-data": UploadIn}, responses={201: UploadOut})
    def create(self, request, org_slug):
        """Read the file and answer its preview and bad rows; nothing is imported yet."""
        self.parser_classes = [MultiPartParser]
        data = UploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        try:
            upload, plan = services.upload_create(
                org=self.org,
                by=request.user,
                by_membership=self.membership,
                file=file,
                file_name=file.name,
                platform=data.validated_data["platform"],
            )
        except SpreadsheetRefused as exc:
            raise ValidationError({"file": [exc.message]}) from exc
        return Response(UploadOut(_out(upload, plan)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=UploadOut)
    def retrieve(self, request, org_slug, pk):
        """The upload with what it would do now (or, imported, what is left)."""
        upload = self._upload(pk)
        plan = services.upload_plan(upload=upload, by_membership=self.membership)
        return Response(UploadOut(_out(upload, plan)).data)

    @extend_schema(request=OrgChartConfirmIn, responses={200: UploadOut, 409: ImportProblemOut})
    @action(detail=True, methods=["post"])
    def confirm(self, request, org_slug, pk):
        """Import what the preview showed, all or nothing: 400 with the bad rows, 409 when
        the organization changed since the preview (read it again, then confirm)."""
        upload = self._upload(pk)
        data = OrgChartConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            upload, plan = services.upload_confirm(
                upload=upload,
                by=request.user,
                by_membership=self.membership,
                send_links=data.validated_data["send_links"],
                digest=data.validated_data["digest"],
            )
        except services.ImportRefused as exc:
            return Response(
                {"detail": _("Nothing was imported: the file has bad rows."), "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except services.ImportChanged:
            return Response(
                {
                    "detail": _(
                        "The organization changed since this preview. Read the upload again "
                        "and confirm."
                    ),
                    "errors": [],
                },
                status=status.HTTP_409_CONFLICT,
            )
        plan = services.upload_plan(upload=upload, by_membership=self.membership)
        return Response(UploadOut(_out(upload, plan)).data)

    @extend_schema(request=None, responses=DeactivatedOut)
    @action(detail=True, methods=["post"], url_path="deactivate-missing")
    def deactivate_missing(self, request, org_slug, pk):
        """Deactivate the active members an imported file does not list."""
        upload = self._upload(pk)
        count = services.upload_deactivate_missing(
            upload=upload, by=request.user, by_membership=self.membership
        )
        return Response({"deactivated": count})
