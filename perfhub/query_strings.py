"""Query strings are refused (400) before any view runs when a parameter's name or value
holds a control character (U+0000–U+001F, U+007F): no filter or page parameter of the app
takes one, and PostgreSQL refuses NUL in a string, which would otherwise surface as a 500
wherever a parameter reaches a query. Bytes that are not UTF-8 (a lone surrogate such as
%ED%A0%80) are already replaced by U+FFFD when Django decodes the query string."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .error_pages import refused

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _shown(text: str) -> str:
    """The name as it can be shown: control characters escaped, at most 50 characters."""
    return text.encode("unicode_escape").decode("ascii")[:50]


class RefuseControlCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, values in request.GET.lists():
            for text in (name, *values):
                found = CONTROL.search(text)
                if found:
                    message = _(
                        "The parameter “%(name)s” contains a control character (U+%(code)04X), "
                        "which is not allowed."
                    ) % {"name": _shown(name), "code": ord(found.group())}
                    return refused(request, message, field=_shown(name))
        return self.get_response(request)
