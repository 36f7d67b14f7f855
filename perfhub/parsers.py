"""The API's JSON parser (settings REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Its own module, importing no DRF view: DRF's APIView reads DEFAULT_PARSER_CLASSES in its
class body, so a parser module that imported rest_framework.views would be imported half-way
(a circular import that breaks whichever process imports it first)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_DEPTH with 400 (Python's
    json module raises RecursionError past ~1,000 levels, and code walking a deep body
    would too): no request of this API nests more than a few levels."""

    MAX_DEPTH = 32

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth_over(data, self.MAX_DEPTH)
        if too_deep:
            raise exceptions.ParseError(
                _("JSON parse error: the body is nested more than %(n)s levels deep.")
                % {"n": self.MAX_DEPTH}
            )
        return data


def _depth_over(data, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in value)
    return False
