"""Reads of threads: who may see a subject, who wrote what as a viewer may see it, the
posts of one or several subjects in a fixed number of queries, and the members a mention
can name."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Lower

from departments.models import DepartmentClosure, DepartmentManager, Membership, Role
from departments.permissions import can_view_all, is_member, visible_department_ids
from perfhub.names import display_name
from perfhub.tenancy import get_or_404

from . import mentions
from .models import Mention, Post, PostEvent, Thread
from .subjects import Subject

# Who sees every department (departments.permissions.can_view_all), as roles for a query.
ALL_SEEING = (Role.ADMIN, Role.HR, Role.EXECUTIVE)


def can_see(membership, subject: Subject) -> bool:
    """Whether the member may read (and so write in) the subject's thread: whoever may see
    one of its departments (departments.permissions.visible_department_ids), every member
    for a subject without departments (a company goal)."""
    if not is_member(membership):
        return False
    if membership.user_id in subject.user_ids:
        return True
    ids = visible_department_ids(membership)
    return ids is None or not subject.department_ids or not ids.isdisjoint(subject.department_ids)


def audience_user_ids(*, org, subject: Subject) -> set[int]:
    """The users who may see the subject (one query): the same rule as `can_see`, asked the
    other way round - admins, HR and executives, and the managers of one of its departments
    or of a parent. Notifications go to no one outside it."""
    members = Membership.objects.for_org(org).filter(is_active=True)
    if not subject.department_ids:
        return set(members.values_list("user_id", flat=True))
    ancestors = (
        DepartmentClosure.objects.for_org(org)
        .filter(descendant_id__in=subject.department_ids)
        .values("ancestor_id")
    )
    managers = (
        DepartmentManager.objects.for_org(org).filter(department_id__in=ancestors).values("user_id")
    )
    return set(
        members.filter(
            Q(role__in=ALL_SEEING)
            | Q(role=Role.MANAGER, user_id__in=managers)
            | Q(user_id__in=subject.user_ids)
        ).values_list("user_id", flat=True)
    )


def rating_side_ids(*, org, department_ids) -> dict[int, frozenset[int]]:
    """Per rating department: the users who manage it or a parent of it (two queries), the
    people whose posts a feedback thread may hide (`author_hidden`)."""
    if not department_ids:
        return {}
    closures = list(
        DepartmentClosure.objects.for_org(org)
        .filter(descendant_id__in=department_ids)
        .values_list("ancestor_id", "descendant_id")
    )
    by_department: dict[int, set[int]] = defaultdict(set)
    for department_id, user_id in (
        DepartmentManager.objects.for_org(org)
        .filter(department_id__in={a for a, _d in closures})
        .values_list("department_id", "user_id")
    ):
        by_department[department_id].add(user_id)
    found: dict[int, set[int]] = defaultdict(set)
    for ancestor, descendant in closures:
        found[descendant] |= by_department.get(ancestor, set())
    return {d: frozenset(found.get(d, set())) for d in department_ids}


def author_hidden(*, subject: Subject, author_id, viewer, rating_side: frozenset[int]) -> bool:
    """Whether `viewer` (a Membership) must see a post without its author's name: in a
    feedback entry's thread, a post by a member of the rating department (`rating_side`:
    rating_side_ids) shown to the rated department. Admins, HR and executives always see
    who wrote; the rating department sees its own people; everybody sees their own posts.

    The one place of this rule; an organization whose feedback is not anonymous
    (`Organization.feedback_anonymous` off, carried by the subject) shows every author."""
    if subject.rater_department_id is None or author_id is None or not subject.anonymous:
        return False
    if author_id == viewer.user_id or can_view_all(viewer):
        return False
    return author_id in rating_side and viewer.user_id not in rating_side


# --- Threads as pages show them ------------------------------------------------------------


@dataclass
class ThreadView:
    """A subject's thread for one viewer: its top-level posts (each with `replies`), each
    post with `hidden` (author not shown), `html` (the text, escaped, mentions marked),
    `versions` (earlier texts, newest first) and `mine`."""

    subject: Subject
    thread: Thread | None
    can_post: bool
    posts: list = field(default_factory=list)
    count: int = 0


def thread_views(*, org, membership, subjects: list[Subject]) -> list[ThreadView]:
    """The threads of several subjects for one viewer, in at most six queries whatever the
    number of subjects and posts (threads, posts with authors, mentions, earlier versions,
    and for feedback the rating side)."""
    views = [ThreadView(subject=s, thread=None, can_post=can_see(membership, s)) for s in subjects]
    keys = [s.ref for s in subjects]
    threads = {t.key: t for t in Thread.objects.for_org(org).filter(key__in=keys)} if keys else {}
    by_thread: dict[int, list[Post]] = defaultdict(list)
    posts: list[Post] = []
    if threads:
        posts = list(
            Post.objects.for_org(org)
            .filter(thread_id__in=[t.pk for t in threads.values()])
            .select_related("author")
            .order_by("created_at", "pk")
        )
    _decorate(org, posts)
    raters = {s.rater_department_id for s in subjects if s.rater_department_id is not None}
    sides = rating_side_ids(org=org, department_ids=raters) if raters and posts else {}
    for post in posts:
        by_thread[post.thread_id].append(post)
    for view in views:
        view.thread = threads.get(view.subject.ref)
        if view.thread is None:
            continue
        side = sides.get(view.subject.rater_department_id or 0, frozenset())
        top: dict[int, Post] = {}
        for post in by_thread[view.thread.pk]:
            post.thread = view.thread  # loaded above: no query per post
            post.hidden = author_hidden(
                subject=view.subject, author_id=post.author_id, viewer=membership, rating_side=side
            )
            post.mine = post.author_id == membership.user_id
            if post.parent_id is None:
                post.thread_replies = []
                top[post.pk] = post
            elif post.parent_id in top:
                top[post.parent_id].thread_replies.append(post)
            view.count += 0 if post.is_deleted else 1
        view.posts = list(top.values())
    return views


def _decorate(org, posts: list[Post]) -> None:
    """Give each post its rendered text and its earlier versions (two queries at most)."""
    if not posts:
        return
    named: dict[int, dict] = defaultdict(dict)
    for mention in (
        Mention.objects.for_org(org)
        .filter(post_id__in=[p.pk for p in posts])
        .select_related("user")
    ):
        named[mention.post_id][mention.user.username] = mention.user
    edited = [p.pk for p in posts if p.edited_at is not None and not p.is_deleted]
    versions: dict[int, list] = defaultdict(list)
    if edited:
        for event in (
            PostEvent.objects.filter(organization_id=org.pk, pgh_obj_id__in=edited)
            .exclude(pgh_label="delete")
            .order_by("-pgh_created_at", "-pgh_id")
        ):
            versions[event.pgh_obj_id].append(event)
    for post in posts:
        post.html = mentions.render(post.text, named.get(post.pk, {}))
        post.mentioned = list(named.get(post.pk, {}).values())
        # The first event is the current text: the earlier ones are the history.
        post.versions = versions.get(post.pk, [])[1:]


# --- Single rows and lists -----------------------------------------------------------------


def _visible_threads(*, org, membership) -> QuerySet[Thread]:
    """The threads whose subject the member may see (the departments stored on the thread:
    the same rule as can_see)."""
    qs = Thread.objects.for_org(org)
    ids = visible_department_ids(membership)
    if ids is None:
        return qs
    return qs.filter(
        Q(department__isnull=True, other_department__isnull=True)
        | Q(department_id__in=ids)
        | Q(other_department_id__in=ids)
    )


def thread_list(*, org, membership, kind: str | None = None) -> QuerySet[Thread]:
    """The threads the member may see, with their number of posts (deleted ones aside) and
    the time of the last, the most recent first (one query)."""
    qs = _visible_threads(org=org, membership=membership)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(
        post_count=Count("posts", filter=Q(posts__deleted_at__isnull=True)),
        last_post_at=Max("posts__created_at"),
    ).order_by("-last_post_at", "-pk")


def thread_for(*, org, subject: Subject) -> Thread | None:
    """The subject's thread, or None before its first post."""
    return Thread.objects.for_org(org).filter(key=subject.ref).first()


def post_list(*, org, thread: Thread | None) -> QuerySet[Post]:
    """A thread's posts, oldest first, with their author and mentioned members (two
    queries); none before the first post."""
    qs = Post.objects.for_org(org).select_related("author", "thread")
    qs = qs.filter(thread=thread) if thread is not None else qs.none()
    return qs.prefetch_related("mentions__user").order_by("created_at", "pk")


def post_get(*, org, membership, pk) -> Post:
    """One post in a thread the member may see, or 404 (also for another tenant's id and
    for a thread the member may not see: it is not found, not forbidden)."""
    visible = _visible_threads(org=org, membership=membership)
    return get_or_404(
        Post.objects.for_org(org)
        .filter(thread__in=visible)
        .select_related("author", "thread", "parent"),
        pk,
    )


def post_history(*, org, post: Post) -> list:
    """The post's versions, newest first (its current text is the first), with when each
    was written; a deleted post has none to show."""
    if post.is_deleted:
        return []
    return list(
        PostEvent.objects.filter(organization_id=org.pk, pgh_obj_id=post.pk)
        .exclude(pgh_label="delete")
        .order_by("-pgh_created_at", "-pgh_id")
    )


def member_candidates(*, org, prefix: str, limit: int = 8) -> list[dict]:
    """Members whose username, given or family name starts with `prefix` (any case), for
    the @mention autocomplete: username and display name, by username (one query)."""
    prefix = (prefix or "").strip().lstrip("@")
    if not prefix:
        return []
    users = (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.for_org(org).filter(is_active=True).values("user_id"),
        )
        .filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
        .order_by(Lower("username"))[:limit]
    )
    return [{"username": u.username, "name": display_name(u)} for u in users]


def members_named(*, org, usernames) -> dict[str, object]:
    """The members among these usernames, by username (one query)."""
    if not usernames:
        return {}
    return {
        m.user.username: m.user
        for m in Membership.objects.for_org(org)
        .filter(is_active=True)
        .filter(user__username__in=list(usernames))
        .select_related("user")
    }
