"""The one place per interface that resolves the organization and checks membership and role.

Pages use `@org_view(predicate)`, the API subclasses `OrgViewSet` (departments.api.base).
A non-member gets 404 - the same answer as for an organization that does not exist - and a
member whose role does not allow the page gets 403.

This is also where the database learns the organization: `resolve_membership` sets it for
the request's transaction (ATOMIC_REQUESTS; perfhub.tenancy.activate_org), so row-level
security shows that organization's rows only, whatever query follows."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from perfhub import tenancy

from . import selectors
from .permissions import is_member


def resolve_membership(request, slug: str, *, api: bool = False):
    """Set request.org and request.membership for a member of the organization, or 404
    (the same answer as for an organization that does not exist). From here to the end of
    the request's transaction the database shows that organization's rows only."""
    membership = selectors.membership_for(user=request.user, slug=slug)
    if membership is None:
        raise Http404
    scope = token_scope(request)
    if scope is not None and scope != membership.organization_id:
        raise Http404  # a token limited to another organization: as for a non-member
    tenancy.activate_org(membership.organization)
    request.org = membership.organization
    request.membership = membership
    _activate_org_language(request, request.org, api=api)
    return membership


def token_scope(request) -> int | None:
    """The id of the one organization the request's API token is limited to
    (accounts.ApiToken.scope_organization), or None: a browser session, or a token for all
    the user's organizations."""
    return getattr(getattr(request, "auth", None), "scope_organization_id", None)


def _activate_org_language(request, org, *, api: bool) -> None:
    """The organization's language is the default for its members; a language the user
    picked with the switch (cookie) wins, and so does an API client's Accept-Language."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    if api and request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return
    translation.activate(org.language)
    request.LANGUAGE_CODE = org.language


def org_view(predicate=is_member):
    """Decorate a page view taking `slug`: sign-in required, membership resolved (404 for
    outsiders) and `predicate(membership)` checked (403 when false)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = resolve_membership(request, slug)
            if not predicate(membership):
                raise PermissionDenied
            response = view(request, *args, **kwargs)
            # A lazy TemplateResponse would otherwise render after the request's
            # transaction, and so without the organization setting.
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
            return response

        wrapped.org_view = True
        return wrapped

    return decorator
