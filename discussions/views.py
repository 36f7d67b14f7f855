"""Pages of threads: a subject's thread (read, post, reply), a post's edit page with its
history, deleting a post, and the members a mention can name (JSON for the autocomplete).

Other apps' pages show a thread through the `discussions` template tags; their forms post
here and come back (`next`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from departments.access import org_view
from departments.permissions import is_member
from perfhub.errors import add_service_errors

from . import selectors
from .forms import PostForm
from .services import post_add, post_delete, post_edit
from .subjects import Subject, subject_load


def _subject(request, ref) -> Subject:
    """The subject a page asks for, 404 when it is none of the organization's, 403 when
    the member may not see it."""
    try:
        subject = subject_load(org=request.org, ref=ref or "")
    except ValueError:
        raise Http404 from None
    if not selectors.can_see(request.membership, subject):
        raise PermissionDenied
    return subject


def _back(request, default: str) -> str:
    """Where to go after a post: the page it was written on (`next`, a path of this
    organization), else the thread's own page."""
    wanted = request.POST.get("next") or ""
    prefix = f"/o/{request.org.slug}/"
    if wanted.startswith(prefix) and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted.split("#", 1)[0]
    return default


def _thread_url(request, subject: Subject) -> str:
    return reverse("discussion", args=[request.org.slug]) + f"?subject={subject.ref}"


@org_view(is_member)
def discussion(request):
    """A subject's thread on a page of its own: its posts and replies, and a post form for
    whoever may see the subject (also where the other pages' thread forms post)."""
    subject = _subject(request, request.GET.get("subject"))
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = post_add(
                org=request.org,
                membership=request.membership,
                subject=subject,
                text=form.cleaned_data["text"],
                parent_id=form.cleaned_data["parent"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Posted."))
            return redirect(_back(request, _thread_url(request, subject)) + f"#post-{post.pk}")
    # The banner's links go to the text box the refused post was typed in.
    parent = request.POST.get("parent") or ""
    box = f"reply-{parent}-text" if parent.isdigit() else f"thread-{subject.ref}-text"
    form.error_anchors = {"text": box, "parent": box}
    view = selectors.thread_views(
        org=request.org, membership=request.membership, subjects=[subject]
    )[0]
    return render(request, "discussions/thread.html", {"view": view, "form": form})


@org_view(is_member)
def post_edit_page(request, pk):
    """Its author edits a post; the page lists the post's earlier versions."""
    post = selectors.post_get(org=request.org, membership=request.membership, pk=pk)
    subject = _subject(request, post.thread.key)
    if post.author_id != request.user.pk:
        raise PermissionDenied
    form = PostForm(request.POST or None, initial={"text": post.text})
    if request.method == "POST" and form.is_valid():
        try:
            post_edit(
                org=request.org,
                membership=request.membership,
                subject=subject,
                post=post,
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Post changed."))
            return redirect(_thread_url(request, subject) + f"#post-{post.pk}")
    return render(
        request,
        "discussions/post_edit.html",
        {
            "post": post,
            "subject": subject,
            "form": form,
            "history": selectors.post_history(org=request.org, post=post),
            "thread_url": _thread_url(request, subject),
        },
    )


@require_POST
@org_view(is_member)
def post_delete_view(request, pk):
    """Its author deletes a post: the thread shows it as deleted; its history is kept."""
    post = selectors.post_get(org=request.org, membership=request.membership, pk=pk)
    subject = _subject(request, post.thread.key)
    post_delete(org=request.org, membership=request.membership, subject=subject, post=post)
    messages.success(request, _("Post deleted."))
    return redirect(_back(request, _thread_url(request, subject)) + f"#post-{post.pk}")


@require_GET
@org_view(is_member)
def mention_candidates(request):
    """Members whose name or username starts with `q`: [{username, name}] for the @mention
    autocomplete (static/perfhub/mentions.js)."""
    found = selectors.member_candidates(org=request.org, prefix=request.GET.get("q", "")[:150])
    return JsonResponse({"members": found})
