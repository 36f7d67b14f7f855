"""`{% load discussions %}`: threads on other apps' pages, which never import this app.

    {% thread "kpi" kpi period %}          the KPI's thread in the period
    {% thread "scorecard" department period %}
    {% threads "feedback" entries %}       one thread per object, loaded together
    {% thread_url "feedback" entry %}      the link to a subject's thread page (no query)
    {% thread_scripts %}                   the @mention autocomplete (in {% block scripts %})

A thread is loaded in a fixed number of queries (discussions.selectors.thread_views),
`threads` too whatever the number of objects."""

from __future__ import annotations

from django import template
from django.urls import reverse

from .. import selectors
from ..subjects import subject_of

register = template.Library()


def _context(context, views) -> dict:
    request = context["request"]
    return {
        "views": views,
        "view": views[0] if views else None,
        "org": request.org,
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "CSP_NONCE": context.get("CSP_NONCE"),
        "next": request.get_full_path(),
    }


@register.inclusion_tag("discussions/_thread.html", takes_context=True)
def thread(context, kind: str, *objects):
    """The subject's thread with its post and reply forms."""
    request = context["request"]
    subject = subject_of(kind, request.org, *objects)
    return _context(
        context,
        selectors.thread_views(org=request.org, membership=request.membership, subjects=[subject]),
    )


@register.inclusion_tag("discussions/_threads.html", takes_context=True)
def threads(context, kind: str, objects):
    """One thread per object of `objects` (each titled with its subject)."""
    request = context["request"]
    subjects = [subject_of(kind, request.org, o) for o in objects]
    return _context(
        context,
        selectors.thread_views(org=request.org, membership=request.membership, subjects=subjects),
    )


@register.simple_tag(takes_context=True)
def thread_url(context, kind: str, *objects) -> str:
    """The path of the subject's thread page."""
    org = context["request"].org
    subject = subject_of(kind, org, *objects)
    return reverse("discussion", args=[org.slug]) + f"?subject={subject.ref}"


@register.inclusion_tag("discussions/_scripts.html", takes_context=True)
def thread_scripts(context):
    return {"CSP_NONCE": context.get("CSP_NONCE")}
