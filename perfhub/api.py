"""API-wide pieces: the error format (a message per field, never a 500 for bad input)."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import error_messages


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services answered as 400 with
    the same {field: [messages]} shape as serializer errors."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(error_messages(exc))
    return drf_exception_handler(exc, context)


# Sent by DRF's browsable API forms along with the fields.
_FORM_KEYS = {"csrfmiddlewaretoken", "_content_type", "_content"}


class StrictInput:
    """Mixed into every input serializer: a field it does not know is refused by name
    (a typo such as `valeu` must not be silently ignored), along with any other error."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            for key in data:
                field = self.fields.get(key)
                if (field is None or field.read_only) and key not in _FORM_KEYS:
                    unknown[str(key)[:100]] = [_("Unknown field: it is not part of this request.")]
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise exceptions.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value
