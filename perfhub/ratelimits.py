"""Per-user limits on actions that reach other people or claim a shared name: creating
organizations and sending invitations (settings.PERFHUB_RATE_LIMITS).

django-ratelimit counts them in Django's cache, one count per user and action, shared by
the pages and the API. A page answers 429 with the message on its form, the API 429 with
`{"detail": message}` (and the operation documents it, see perfhub.api)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

log = logging.getLogger(__name__)

MESSAGES = {
    "organization_create": _(
        "You have created too many organizations recently. Try again in a while."
    ),
    "invitation_create": _("You have sent too many invitations recently. Try again in a while."),
}
# In an API operation's @extend_schema(extensions=...): its 429 answer is documented.
DOCUMENTED = {"x-perfhub-rate-limited": True}


class RateLimited(Exception):
    """The user did `scope` too often; str() is the message to show."""

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__(str(MESSAGES[scope]))


def hit(request, scope: str) -> None:
    """Count one `scope` action of the signed-in user; raise RateLimited when it goes over
    the rate of PERFHUB_RATE_LIMITS[scope]."""
    try:
        limited = is_ratelimited(
            request,
            group=f"perfhub.{scope}",
            key="user",
            rate=settings.PERFHUB_RATE_LIMITS[scope],
            increment=True,
        )
    except Exception:  # noqa: BLE001 - an unreachable cache: RATELIMIT_FAIL_OPEN decides
        log.warning("rate limit %s not counted: cache unavailable", scope, exc_info=True)
        limited = not settings.RATELIMIT_FAIL_OPEN
    if limited:
        raise RateLimited(scope)
