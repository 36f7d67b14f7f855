"""Writes of threads: a post or a reply, its author's edit and delete. Each checks that
the member may see the subject, keeps what was there (PostEvent, triggers), records the
mentions and tells the people named or answered (discussions.notify), in one
transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics.services.actuals_check import CONTROL_CHARACTERS
from perfhub.history import declare_no_ignored_triggers, history_context

from . import mentions, notify, selectors
from .models import POST_MAX, Mention, Post, PostEvent, Thread
from .subjects import Subject


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write something first.")]})
    if len(text) > POST_MAX:
        message = _("At most %(n)d characters, please.") % {"n": POST_MAX}
        raise ValidationError({"text": [message]})
    if CONTROL_CHARACTERS.search(text):
        message = _("This text contains invisible control characters (such as NUL): remove them.")
        raise ValidationError({"text": [message]})
    return text


def _mentioned(org, text: str) -> dict:
    """The members the text names, by username (one query)."""
    named = selectors.members_named(org=org, usernames=mentions.candidates(text))
    return {name: named[name] for _s, _e, name in mentions.find(text, named)}


def _record_without_triggers(post: Post, label: str) -> None:
    """SQLite (the demo) has no triggers: write the history row by hand."""
    if connection.vendor == "postgresql":
        return
    PostEvent.objects.create(
        pgh_obj_id=post.pk,
        pgh_label=label,
        pgh_created_at=timezone.now(),
        **{f.attname: getattr(post, f.attname) for f in Post._meta.concrete_fields},
    )


@transaction.atomic
def post_add(*, org, membership, subject: Subject, text: str, parent_id=None) -> Post:
    """A post in the subject's thread (created with its first post), or a reply to one of
    its posts (`parent_id`; a reply to a reply answers the same top-level post). Whoever
    may see the subject may write; mentioned members and the author of the post answered
    are told once (discussions.notify)."""
    if not selectors.can_see(membership, subject):
        raise PermissionDenied
    text = _clean_text(text)
    thread = selectors.thread_for(org=org, subject=subject)
    parent = None
    if parent_id not in (None, ""):
        parent = (
            Post.objects.for_org(org).filter(thread=thread, pk=parent_id).first()
            if thread is not None and str(parent_id).isdigit()
            else None
        )
        if parent is None:
            raise ValidationError({"parent": [_("Reply to a post of this thread.")]})
        if parent.is_deleted:
            raise ValidationError({"parent": [_("This post was deleted: it takes no reply.")]})
        if parent.parent_id is not None:
            parent = Post.objects.for_org(org).get(pk=parent.parent_id)
    now = timezone.now()
    if thread is None:
        thread, _created = Thread.objects.for_org(org).get_or_create(
            organization=org,
            key=subject.ref,
            defaults={"kind": subject.kind, "created_at": now, **subject.fields},
        )
    declare_no_ignored_triggers()
    with history_context(user=membership.user_id):
        post = Post.objects.create(
            organization=org,
            thread=thread,
            parent=parent,
            author=membership.user,
            text=text,
            created_at=now,
        )
    _record_without_triggers(post, "insert")
    named = _mentioned(org, text)
    Mention.objects.bulk_create(
        [Mention(organization=org, post=post, user=user) for user in named.values()]
    )
    notify.post_notify(
        org=org, subject=subject, post=post, parent=parent, mentioned=list(named.values())
    )
    return post


@transaction.atomic
def post_edit(*, org, membership, subject: Subject, post: Post, text: str) -> Post:
    """Its author changes a post's text; the earlier text stays in its history. Members
    newly mentioned are told (once per post: an edit never tells anyone twice)."""
    if post.organization_id != org.pk or post.author_id != membership.user_id:
        raise PermissionDenied
    if not selectors.can_see(membership, subject):
        raise PermissionDenied
    if post.is_deleted:
        raise ValidationError({"text": [_("This post was deleted: it can no longer change.")]})
    text = _clean_text(text)
    if text == post.text:
        return post
    post.text, post.edited_at = text, timezone.now()
    declare_no_ignored_triggers()
    with history_context(user=membership.user_id):
        post.save(update_fields=["text", "edited_at"])
    _record_without_triggers(post, "update")
    named = _mentioned(org, text)
    before = set(Mention.objects.for_org(org).filter(post=post).values_list("user_id", flat=True))
    Mention.objects.for_org(org).filter(post=post).exclude(
        user_id__in=[u.pk for u in named.values()]
    ).delete()
    fresh = [u for u in named.values() if u.pk not in before]
    Mention.objects.bulk_create([Mention(organization=org, post=post, user=u) for u in fresh])
    notify.post_notify(org=org, subject=subject, post=post, parent=None, mentioned=fresh)
    return post


@transaction.atomic
def post_delete(*, org, membership, subject: Subject, post: Post) -> Post:
    """Its author deletes a post: it stays in the thread as "deleted" (its replies with it),
    its text emptied; the history keeps what it said."""
    if post.organization_id != org.pk or post.author_id != membership.user_id:
        raise PermissionDenied
    if not selectors.can_see(membership, subject):
        raise PermissionDenied
    if post.is_deleted:
        return post
    post.text, post.deleted_at = "", timezone.now()
    declare_no_ignored_triggers()
    with history_context(user=membership.user_id):
        post.save(update_fields=["text", "deleted_at"])
    _record_without_triggers(post, "update")
    Mention.objects.for_org(org).filter(post=post).delete()
    return post
