"""feeds/ (issue 20 part 4): the organization's data feeds, their runs and the allow-list
of addresses they may reach (admins only). Secrets are write-only: `url` and `password`
are accepted, never answered (a feed shows `address`, without user name, password or
query, and `has_password`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import can_edit_settings
from perfhub.api import int_param
from perfhub.errors import error_messages

from .. import selectors
from ..models import FeedRun
from ..services import feeds as services
from ..services.runs import run_request
from .serializers import AllowedHostIn, AllowedHostOut, FeedIn, FeedOut, FeedRunOut


def _service_error(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(error_messages(exc))


class AllowedHostViewSet(OrgViewSet):
    """The addresses feeds may connect to: a host name (public addresses only), an IP
    address or a network, with a port or any."""

    serializer_class = AllowedHostOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def scoped_queryset(self):
        return selectors.allowed_host_list(org=self.org)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AllowedHostOut(page, many=True).data)

    @extend_schema(request=AllowedHostIn, responses={201: AllowedHostOut})
    def create(self, request, org_slug):
        data = AllowedHostIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            host = services.allowed_host_add(org=self.org, by=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise _service_error(exc) from None
        return Response(AllowedHostOut(host).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, org_slug, pk):
        host = selectors.allowed_host_get(org=self.org, pk=pk)
        services.allowed_host_delete(org=self.org, host=host, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedViewSet(OrgViewSet):
    """Data feeds. `POST …/run/` queues a run, `POST …/dry-run/` a dry run (202, the run:
    follow it in `feed-runs/`)."""

    serializer_class = FeedOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def scoped_queryset(self):
        return selectors.feed_list(org=self.org)

    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(FeedOut(selectors.feed_get(org=self.org, pk=pk)).data)

    def _save(self, request, feed=None):
        data = FeedIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            saved = services.feed_save(
                org=self.org,
                feed=feed,
                by=request.user,
                data=services.FeedInput(**data.validated_data),
            )
        except DjangoValidationError as exc:
            raise _service_error(exc) from None
        return FeedOut(saved).data

    @extend_schema(request=FeedIn, responses={201: FeedOut})
    def create(self, request, org_slug):
        return Response(self._save(request), status=status.HTTP_201_CREATED)

    @extend_schema(request=FeedIn, responses={200: FeedOut})
    def update(self, request, org_slug, pk):
        return Response(self._save(request, selectors.feed_get(org=self.org, pk=pk)))

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, org_slug, pk):
        feed = selectors.feed_get(org=self.org, pk=pk)
        services.feed_delete(org=self.org, feed=feed, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _run(self, request, pk, dry_run: bool):
        feed = selectors.feed_get(org=self.org, pk=pk)
        run = run_request(
            org=self.org, feed=feed, by=request.user, dry_run=dry_run, trigger=FeedRun.Trigger.API
        )
        return Response(FeedRunOut(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: FeedRunOut})
    def run(self, request, org_slug, pk):
        return self._run(request, pk, dry_run=False)

    @extend_schema(request=None, responses={202: FeedRunOut})
    def dry_run(self, request, org_slug, pk):
        return self._run(request, pk, dry_run=True)


class FeedRunViewSet(OrgViewSet):
    """Runs of the feeds, newest first: what each read, created, changed, left alone and
    refused, with the reasons."""

    serializer_class = FeedRunOut
    read_predicate = staticmethod(can_edit_settings)
    write_predicate = staticmethod(can_edit_settings)

    def scoped_queryset(self):
        return selectors.run_list(org=self.org, feed_id=int_param(self.request, "feed"))

    @extend_schema(parameters=[OpenApiParameter("feed", int, description="Feed id")])
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedRunOut(page, many=True).data)

    def retrieve(self, request, org_slug, pk):
        return Response(FeedRunOut(selectors.run_get(org=self.org, pk=pk)).data)
