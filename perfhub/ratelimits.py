"""Rate limits: per-user limits on actions that reach other people or claim a shared name
(creating organizations and sending invitations, settings.PERFHUB_RATE_LIMITS), and the
count every limited page shares (`exceeded`, also used by the password pages).

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


def exceeded(request, *, group: str, key, rate: str) -> bool:
    """Count one request of `group` for `key` (a django-ratelimit key: "user", "ip" or a
    callable) and say whether it went over `rate` ("10/h"). An unreachable cache is logged
    and RATELIMIT_FAIL_OPEN decides."""
    try:
        return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
    except Exception:  # noqa: BLE001 - an unreachable cache: RATELIMIT_FAIL_OPEN decides
        log.warning("rate limit %s not counted: cache unavailable", group, exc_info=True)
        return not settings.RATELIMIT_FAIL_OPEN


def hit(request, scope: str) -> None:
    """Count one `scope` action of the signed-in user; raise RateLimited when it goes over
    the rate of PERFHUB_RATE_LIMITS[scope]."""
    rate = settings.PERFHUB_RATE_LIMITS[scope]
    if exceeded(request, group=f"perfhub.{scope}", key="user", rate=rate):
        raise RateLimited(scope)
