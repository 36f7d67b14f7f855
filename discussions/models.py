"""Discussion threads on a subject (a KPI in a period, a scorecard, a feedback entry, a
goal: discussions.subjects) with posts, one level of replies and @mentions.

A thread is created with its first post. Posts are edited and deleted (softly: the row
stays, its text is emptied) by their author only; every version is kept by triggers
(PostEvent, django-pghistory)."""

from __future__ import annotations

from typing import Any, cast

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from metrics.models import Kpi, Period
from perfhub.tenancy import TenantModel
from reviews.models import Feedback
from scorecards.models import Action, Goal

POST_MAX = 4000


class Thread(TenantModel):
    """The discussion of one subject. `key` is the subject's reference ("kpi-3-7"); the
    foreign keys hold the same objects for the database (deleting a subject deletes its
    thread) and for the visibility filter of lists (`department`, `other_department`:
    whoever may see one of them may see the thread; neither: every member)."""

    kind = models.CharField(_("subject"), max_length=20)
    key = models.CharField(max_length=80)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    other_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.ForeignKey(
        Period, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    feedback = models.ForeignKey(
        Feedback, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="thread_unique_subject")
        ]

    def __str__(self) -> str:
        return self.key


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="PostEvent",
)
class Post(TenantModel):
    """A post in a thread, or a reply to one (`parent`: always a top-level post)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), max_length=POST_MAX, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Set for one viewer by discussions.selectors.thread_views (not columns).
    hidden: bool  # the author is not shown to this viewer (selectors.author_hidden)
    mine: bool
    html: str  # the text, escaped, mentions marked
    mentioned: list
    versions: list  # earlier versions (PostEvent), newest first
    thread_replies: list

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "thread", "created_at"])]

    def __str__(self) -> str:
        return f"post {self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# The history rows of posts (the model django-pghistory made above), named for imports.
PostEvent: Any = cast(Any, Post).pgh_event_model


class Mention(TenantModel):
    """A member named with @username in a post (its current text)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "post", "user"], name="mention_unique_user"
            )
        ]
