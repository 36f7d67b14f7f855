"""API-wide pieces: the error format (a message per field, never a 500 for bad input)."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import error_messages
from .names import display_name
from .numbers import NotANumberCharacter, check_number_characters
from .ratelimits import RateLimited, hit


class PersonName(serializers.CharField):
    """A user's name as pages show it (perfhub.names.display_name), read-only; null when
    there is no user. Point `source` at the user: `PersonName(source="entered_by")`."""

    def __init__(self, **kwargs):
        kwargs.update(read_only=True, allow_null=True, default=None)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return display_name(value) or None


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services answered as 400 with
    the same {field: [messages]} shape as serializer errors."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(error_messages(exc))
    return drf_exception_handler(exc, context)


def int_param(request, name: str) -> int | None:
    """A whole-number query parameter of an API request (None when absent or empty); any
    other value is a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [_("Enter a whole number.")]}) from None


def rate_limit(request, scope: str) -> None:
    """Count one `scope` action of the caller (perfhub.ratelimits); over the limit, 429 with
    the message. The operation documents it with @extend_schema(extensions=DOCUMENTED)."""
    try:
        hit(request, scope)
    except RateLimited as exc:
        raise exceptions.Throttled(detail=str(exc)) from exc


_NUMBER_FIELDS = (serializers.DecimalField, serializers.IntegerField, serializers.FloatField)

# Sent by DRF's browsable API forms along with the fields.
_FORM_KEYS = {"csrfmiddlewaretoken", "_content_type", "_content"}


class StrictInput:
    """Mixed into every input serializer: a field it does not know is refused by name
    (a typo such as `valeu` must not be silently ignored), and so is a number field's text
    holding a character no number may hold ("10²", perfhub.numbers), along with any other
    error."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            for key in data:
                field = self.fields.get(key)
                if (field is None or field.read_only) and key not in _FORM_KEYS:
                    unknown[str(key)[:100]] = [_("Unknown field: it is not part of this request.")]
                elif isinstance(field, _NUMBER_FIELDS) and isinstance(data[key], str):
                    try:
                        check_number_characters(data[key])
                    except NotANumberCharacter as exc:
                        unknown[key] = [exc.message]
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise exceptions.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value


# --- The error answers in the OpenAPI schema -------------------------------------------
# Every endpoint can answer with errors that DRF raises before (or instead of) the view's
# own serializer, so drf-spectacular does not see them: a postprocessing hook documents them
# once for all, from what the gate (OrgViewSet) and the exception handler above do.
ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "One message for the whole request.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationErrors": {
        "type": "object",
        "description": (
            "Messages per field: `{field: [message, ...]}`, `non_field_errors` for the "
            "request as a whole; nested objects and lists (template items, bulk actuals) "
            "carry their own fields' messages at the same place."
        ),
        "additionalProperties": {},
    },
}
ERROR_ANSWERS = {
    "400": ("The input was refused: a message per field; nothing was saved.", "ValidationErrors"),
    "401": ("No valid token or session.", "Error"),
    "403": ("Your role in this organization may not do this.", "Error"),
    "415": ("The body's media type is not JSON, a form or multipart, or it is malformed.", "Error"),
    "404": (
        "No such organization or object, or you are not a member of the organization "
        "(the same answer).",
        "Error",
    ),
    "429": ("You did this too often recently (perfhub.ratelimits): try again later.", "Error"),
}
PAGING = {"limit", "offset"}


def error_responses_hook(result, generator, request, public):
    """Add the 400/401/403/404 answers (and their schemas) to every operation that can give
    them: 401 everywhere but the token endpoint, 403 and 404 under an organization, 404 on
    an object, 400 on every write, on lists with filters and under an organization; 429 on
    the operations marked rate-limited (perfhub.ratelimits.DOCUMENTED)."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            codes = []
            # Under an organization, a control character in any query parameter is a 400.
            if method != "get" or query - PAGING or "{org_slug}" in path:
                codes.append("400")
            if not path.endswith("/auth/token/"):
                codes.append("401")
            if "requestBody" in operation:
                codes.append("415")
            if "{org_slug}" in path:
                codes += ["403", "404"]
            elif "{" in path:
                codes.append("404")
            if operation.pop("x-perfhub-rate-limited", False):
                codes.append("429")
            responses = operation.setdefault("responses", {})
            for code in codes:
                description, schema = ERROR_ANSWERS[code]
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{schema}"}
                            }
                        },
                    },
                )
    return result


class Pagination(LimitOffsetPagination):
    """`?limit=` and `?offset=` (default 50 per page), bounded: a limit above 1,000 gives
    1,000 rows, and an offset beyond any real list gives an empty page (PostgreSQL refuses
    an OFFSET past 2^63, which answered 500 before)."""

    max_limit = 1000
    max_offset = 2**31

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)


@csrf_exempt  # a write to a path that does not exist is a 404, not a CSRF failure page
def api_not_found(request, *args, **kwargs):
    """Any path under /api/v1/ that matches no endpoint (`kpis/-1/`, `kpis/abc/`): the API's
    JSON 404 in the request's language, not the HTML page of the site."""
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
