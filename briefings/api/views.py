"""briefings/ (issue 17): the organization's briefing books - list, ask for one, follow it,
download its PDF. Admin, HR and executives."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from metrics import selectors as metric_selectors
from perfhub.api import int_param

from .. import selectors
from ..services import briefing_request, can_request_briefings
from .serializers import BriefingIn, BriefingOut


class BriefingViewSet(OrgViewSet):
    """The organization's briefing books (PDF of a period: indices, ranking, red KPIs with
    notes, goals, grades, one page per department), newest first. Asking for one answers
    202 at once; follow its `state` (queued, running, done, failed with `error`), then
    fetch the PDF."""

    serializer_class = BriefingOut
    read_predicate = staticmethod(can_request_briefings)
    write_predicate = staticmethod(can_request_briefings)

    def scoped_queryset(self):
        return selectors.briefing_list(org=self.org, period_id=int_param(self.request, "period"))

    @extend_schema(parameters=[OpenApiParameter("period", int, description="Period id")])
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(BriefingOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(BriefingOut(selectors.briefing_get(org=self.org, pk=pk)).data)

    @extend_schema(request=BriefingIn, responses={202: BriefingOut})
    def create(self, request, org_slug):
        data = BriefingIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            period = metric_selectors.period_get(org=self.org, pk=data.validated_data["period"])
        except Http404:
            raise ValidationError({"period": [_("Unknown period.")]}) from None
        briefing = briefing_request(
            org=self.org,
            period=period,
            language=data.validated_data["language"],
            by=request.user,
        )
        briefing = selectors.briefing_get(org=self.org, pk=briefing.pk)  # as the job left it
        return Response(BriefingOut(briefing).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The book (attachment)"
            ),
        }
    )
    def pdf(self, request, org_slug, pk):
        """The book's PDF (an attachment named after its period); 404 until it is made."""
        briefing = selectors.briefing_get(org=self.org, pk=pk)
        if briefing.state != briefing.State.DONE:
            raise Http404(_("This book has not been made yet."))
        response = HttpResponse(bytes(briefing.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{briefing.file_name}"'
        return response
