"""Serializers of threads/, posts/ and mention-candidates/."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from perfhub.api import PersonName, StrictInput

from ..models import POST_MAX


class MentionCandidateOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(help_text="The member's name as pages show it.")


class PostOut(serializers.Serializer):
    """A post or a reply as the caller may see it: a rater's post in a feedback thread
    shows the rated department no author (`author_hidden`)."""

    id = serializers.IntegerField()
    thread = serializers.IntegerField(source="thread_id")
    subject = serializers.CharField(source="thread.key", help_text="e.g. kpi-12-3")
    parent = serializers.IntegerField(  # type: ignore[assignment]  # Field.parent in the stubs
        source="parent_id", allow_null=True, help_text="The post answered; null for a post."
    )
    author = serializers.SerializerMethodField(help_text="Username; null when hidden or gone.")
    author_name = serializers.SerializerMethodField()
    author_hidden = serializers.BooleanField(source="hidden")
    text = serializers.CharField(help_text="Empty for a deleted post.")
    deleted = serializers.BooleanField(source="is_deleted")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    mentions = serializers.SerializerMethodField()

    def get_author(self, post) -> str | None:
        if post.hidden or post.author is None:
            return None
        return post.author.username

    def get_author_name(self, post) -> str | None:
        if post.hidden:
            return _("Rating department")
        return PersonName().to_representation(post.author)

    def get_mentions(self, post) -> list[dict[str, str]]:
        # Loaded with the posts (selectors.thread_views), never a query per row.
        return [
            {"username": u.username, "name": PersonName().to_representation(u)}
            for u in post.mentioned
        ]


class VersionOut(serializers.Serializer):
    text = serializers.CharField()
    at = serializers.DateTimeField(source="pgh_created_at")


class ThreadOut(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField(source="key", help_text="e.g. kpi-12-3, feedback-9")
    kind = serializers.CharField(help_text="kpi, scorecard, feedback or goal")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    other_department = serializers.IntegerField(
        source="other_department_id", allow_null=True, help_text="A feedback's rating department."
    )
    period = serializers.IntegerField(source="period_id", allow_null=True)
    kpi = serializers.IntegerField(source="kpi_id", allow_null=True)
    feedback = serializers.IntegerField(source="feedback_id", allow_null=True)
    goal = serializers.IntegerField(source="goal_id", allow_null=True)
    post_count = serializers.IntegerField()
    last_post_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class PostIn(StrictInput, serializers.Serializer):
    subject = serializers.CharField(
        max_length=80,
        help_text="What the thread is about: kpi-<kpi>-<period>, scorecard-<department>-"
        "<period>, feedback-<feedback>, goal-<goal>.",
    )
    text = serializers.CharField(max_length=POST_MAX)
    parent = serializers.IntegerField(  # type: ignore[assignment]  # Field.parent in the stubs
        required=False, allow_null=True, default=None, help_text="The post to reply to."
    )


class PostEditIn(StrictInput, serializers.Serializer):
    text = serializers.CharField(max_length=POST_MAX)
