"""threads/, posts/ and mention-candidates/ (discussion threads, issue 19)."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from departments.api.base import OrgViewSet
from departments.permissions import is_member

from .. import selectors
from ..models import Post, Thread
from ..services import post_add, post_delete, post_edit
from ..subjects import Subject, subject_load
from .serializers import MentionCandidateOut, PostEditIn, PostIn, PostOut, ThreadOut, VersionOut

SUBJECT = OpenApiParameter(
    "subject", str, required=True, description="e.g. kpi-12-3, scorecard-4-3, feedback-9, goal-2"
)


def _subject(view, ref) -> Subject:
    """The subject of a reference: 400 naming `subject` when malformed, 404 when not the
    organization's, 403 when the caller may not see it."""
    try:
        subject = subject_load(org=view.org, ref=ref or "")
    except ValueError as exc:
        raise exceptions.ValidationError({"subject": [str(exc)]}) from None
    if not selectors.can_see(view.membership, subject):
        raise PermissionDenied
    return subject


class ThreadViewSet(OrgViewSet):
    """The threads of the subjects the caller may see, the most recently active first."""

    serializer_class = ThreadOut

    @property
    def schema_model(self):
        return Thread

    def scoped_queryset(self):
        return selectors.thread_list(
            org=self.org, membership=self.membership, kind=self.request.query_params.get("kind")
        )

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, description="kpi, scorecard, feedback, goal")]
    )
    def list(self, request, org_slug):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ThreadOut(page, many=True).data)


class PostViewSet(OrgViewSet):
    """Posts and replies of a subject's thread. Whoever may see the subject reads and
    writes; a post's author edits and deletes it (deleted: shown as such, its history kept)."""

    serializer_class = PostOut

    @property
    def schema_model(self):
        return Post

    write_predicate = staticmethod(is_member)  # the services check the subject and author

    def scoped_queryset(self):
        return Post.objects.for_org(self.org)  # the views below read through the selectors

    def _one(self, post, subject):
        view = selectors.thread_views(org=self.org, membership=self.membership, subjects=[subject])
        found = {p.pk: p for top in view[0].posts for p in (top, *top.thread_replies)}
        return found[post.pk]

    def _post(self, pk):
        post = selectors.post_get(org=self.org, membership=self.membership, pk=pk)
        return post, _subject(self, post.thread.key)

    @extend_schema(parameters=[SUBJECT])
    def list(self, request, org_slug):
        subject = _subject(self, request.query_params.get("subject"))
        view = selectors.thread_views(org=self.org, membership=self.membership, subjects=[subject])
        posts = sorted(
            (p for top in view[0].posts for p in (top, *top.thread_replies)),
            key=lambda p: (p.created_at, p.pk),
        )
        page = self.paginate_queryset(posts)
        return self.get_paginated_response(PostOut(page, many=True).data)

    @extend_schema(request=PostIn, responses={201: PostOut})
    def create(self, request, org_slug):
        data = PostIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        subject = _subject(self, v["subject"])
        post = post_add(
            org=self.org,
            membership=self.membership,
            subject=subject,
            text=v["text"],
            parent_id=v["parent"],
        )
        return Response(PostOut(self._one(post, subject)).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, org_slug, pk):
        post, subject = self._post(pk)
        return Response(PostOut(self._one(post, subject)).data)

    @extend_schema(request=PostEditIn, responses=PostOut)
    def partial_update(self, request, org_slug, pk):
        post, subject = self._post(pk)
        data = PostEditIn(data=request.data)
        data.is_valid(raise_exception=True)
        post_edit(
            org=self.org,
            membership=self.membership,
            subject=subject,
            post=post,
            text=data.validated_data["text"],
        )
        return Response(PostOut(self._one(post, subject)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, org_slug, pk):
        post, subject = self._post(pk)
        post_delete(org=self.org, membership=self.membership, subject=subject, post=post)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=VersionOut(many=True))
    def history(self, request, org_slug, pk):
        post, _subject_ = self._post(pk)
        versions = list(selectors.post_history(org=self.org, post=post))
        page = self.paginate_queryset(versions)  # paginated like every list of the API
        return self.get_paginated_response(VersionOut(page, many=True).data)


class MentionCandidateViewSet(OrgViewSet):
    """Members whose username or name starts with `q`, for an @mention (at most 8)."""

    serializer_class = MentionCandidateOut
    pagination_class = None

    @property
    def schema_model(self):
        return Thread

    def scoped_queryset(self):
        return Thread.objects.for_org(self.org).none()

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="The start of a name or username")],
        responses=MentionCandidateOut(many=True),
    )
    def list(self, request, org_slug):
        found = selectors.member_candidates(
            org=self.org, prefix=request.query_params.get("q", "")[:150]
        )
        return Response(MentionCandidateOut(found, many=True).data)
