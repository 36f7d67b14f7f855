"""messaging/ (issue 18 §1): the organization's message channels (admins only). Secrets
are write-only: `webhook_url` and `secret` are accepted, never answered (a channel shows
`webhook`, its address without the token, and `has_secret`)."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import can_edit_settings
from departments.selectors import department_get
from perfhub.api import int_param

from .. import selectors, services
from ..models import Route
from .serializers import ChannelIn, ChannelOut, DeliveryOut, RoutesIn, RoutesOut


def _service_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class ChannelViewSet(OrgViewSet):
    """The organization's channels: DingTalk, WeCom and Feishu group robots and e-mail
    addresses. `POST …/test/` queues a test message (202); follow it in the deliveries."""

    serializer_class = ChannelOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def scoped_queryset(self):
        return selectors.channel_list(org=self.org)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChannelOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(ChannelOut(selectors.channel_get(org=self.org, pk=pk)).data)

    def _save(self, request, channel=None):
        data = ChannelIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        department_id = values.pop("department", None)
        department = None
        if department_id is not None:
            try:
                department = department_get(org=self.org, pk=department_id)
            except Http404:
                raise ValidationError({"department": [_("Unknown department.")]}) from None
        try:
            saved = services.channel_save(
                org=self.org,
                channel=channel,
                by=request.user,
                data=services.ChannelInput(department=department, **values),
            )
        except DjangoValidationError as exc:
            raise _service_error(exc) from None
        return ChannelOut(selectors.channel_get(org=self.org, pk=saved.pk)).data

    @extend_schema(request=ChannelIn, responses={201: ChannelOut})
    def create(self, request, org_slug):
        return Response(self._save(request), status=status.HTTP_201_CREATED)

    @extend_schema(request=ChannelIn, responses={200: ChannelOut})
    def update(self, request, org_slug, pk):
        return Response(self._save(request, selectors.channel_get(org=self.org, pk=pk)))

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, org_slug, pk):
        channel = selectors.channel_get(org=self.org, pk=pk)
        services.channel_delete(org=self.org, channel=channel, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: DeliveryOut})
    def test(self, request, org_slug, pk):
        channel = selectors.channel_get(org=self.org, pk=pk)
        url = settings.SITE_URL.rstrip("/") + reverse("org_home", kwargs={"slug": self.org.slug})
        delivery = services.channel_test(org=self.org, channel=channel, by=request.user, url=url)
        return Response(DeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)


class RouteViewSet(OrgViewSet):
    """Which kinds of notification go to which channels (each kind also goes by e-mail to
    the people concerned). PUT replaces every route."""

    serializer_class = RoutesOut
    pagination_class = None  # one object, not a list
    schema_model = Route  # type: ignore[assignment]
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def _answer(self):
        pairs = sorted(selectors.route_pairs(org=self.org))
        return Response({"routes": [{"kind": k, "channel": c} for k, c in pairs]})

    @extend_schema(responses={200: RoutesOut})
    def retrieve(self, request, org_slug):
        return self._answer()

    @extend_schema(request=RoutesIn, responses={200: RoutesOut})
    def replace(self, request, org_slug):
        data = RoutesIn(data=request.data)
        data.is_valid(raise_exception=True)
        pairs = [(r["kind"], r["channel"]) for r in data.validated_data["routes"]]
        try:
            services.routes_save(org=self.org, pairs=pairs, by=request.user)
        except DjangoValidationError as exc:
            raise _service_error(exc) from None
        return self._answer()


class DeliveryViewSet(OrgViewSet):
    """Messages sent or tried, newest first, with the platform's error of a failed one."""

    serializer_class = DeliveryOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def scoped_queryset(self):
        return selectors.delivery_list(org=self.org, channel_id=int_param(self.request, "channel"))

    @extend_schema(parameters=[OpenApiParameter("channel", int, description="Channel id")])
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeliveryOut(page, many=True).data)
