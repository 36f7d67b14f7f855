"""Query parameters holding a control character (U+0000–U+001F, U+007F) in their name or
value are refused with 400 naming the parameter: no filter or page parameter of the app takes
one, and PostgreSQL refuses NUL in a string, which would otherwise surface as a 500 wherever
a parameter reaches a query. Bytes that are not UTF-8 (a lone surrogate such as %ED%A0%80)
are already replaced by U+FFFD when Django decodes the query string.

Pages: a middleware, before any view. API: the organization gate (OrgViewSet), after the
membership check (an outsider still gets 404) and before any filter or selector reads the
parameters; the endpoints outside an organization read no parameter but paging."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .error_pages import refused

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(text: str) -> str:
    """The name as it can be shown: control characters escaped, at most 50 characters."""
    return text.encode("unicode_escape").decode("ascii")[:50]


def control_character_refusal(params) -> dict[str, list[str]] | None:
    """{parameter: [message]} for the first parameter holding a control character."""
    for name, values in params.lists():
        for text in (name, *values):
            found = CONTROL.search(text)
            if found:
                message = _(
                    "The parameter “%(name)s” contains a control character (U+%(code)04X), "
                    "which is not allowed."
                ) % {"name": _shown(name), "code": ord(found.group())}
                return {_shown(name): [message]}
    return None


class RefuseControlCharacters:
    """Middleware for the pages (the API checks in its organization gate)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            refusal = control_character_refusal(request.GET)
            if refusal:
                (name, (message,)) = next(iter(refusal.items()))
                return refused(request, message, field=name)
        return self.get_response(request)
