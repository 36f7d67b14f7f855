"""Who is told about a post: the members it mentions and the author of the post it
answers, by e-mail (reviews.notifications.send_once: once per kind, person and post, in
their language, unless they turned the kind off). Never the author themself, never anyone
who may not see the subject; an author hidden from the recipient (a rater, to the rated
department) stays hidden in the e-mail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from departments.models import Membership, NotificationKind
from reviews.notifications import send_once

from . import selectors
from .subjects import Subject

TEMPLATES: dict[str, str] = {
    NotificationKind.THREAD_MENTION: "discussions/email/thread_mention.txt",
    NotificationKind.THREAD_REPLY: "discussions/email/thread_reply.txt",
}


def thread_link(org, subject: Subject) -> str:
    return (
        settings.SITE_URL.rstrip("/")
        + reverse("discussion", kwargs={"slug": org.slug})
        + f"?subject={subject.ref}"
    )


def post_notify(*, org, subject: Subject, post, parent, mentioned: list) -> int:
    """Tell the author of `parent` (a reply) and the `mentioned` users about the post, one
    e-mail each (the reply's when both): returns the number sent."""
    wanted: dict[int, tuple[str, Any]] = {}
    for user in mentioned:
        wanted[user.pk] = (NotificationKind.THREAD_MENTION, user)
    if parent is not None and parent.author_id is not None:
        wanted[parent.author_id] = (NotificationKind.THREAD_REPLY, parent.author)
    wanted.pop(post.author_id, None)
    if not wanted:
        return 0
    audience = selectors.audience_user_ids(org=org, subject=subject)
    wanted = {pk: value for pk, value in wanted.items() if pk in audience}
    if not wanted:
        return 0
    viewers = {
        m.user_id: m
        for m in Membership.objects.for_org(org)
        .filter(is_active=True)
        .filter(user_id__in=list(wanted))
    }
    side: frozenset[int] = frozenset()
    if subject.rater_department_id is not None:
        side = selectors.rating_side_ids(org=org, department_ids=[subject.rater_department_id]).get(
            subject.rater_department_id, frozenset()
        )
    url = thread_link(org, subject) + f"#post-{post.pk}"
    sent = 0
    for pk, (kind, user) in wanted.items():
        hidden = selectors.author_hidden(
            subject=subject, author_id=post.author_id, viewer=viewers[pk], rating_side=side
        )
        sent += send_once(
            org=org,
            kind=kind,
            user=user,
            keys=[f"post:{post.pk}"],
            template=TEMPLATES[kind],
            context={
                "subject": subject,
                "post": post,
                "author": None if hidden else post.author,
                "url": url,
            },
        )
    return sent
