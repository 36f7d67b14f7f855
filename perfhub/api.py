"""API-wide pieces: the error format (a message per field, never a 500 for bad input)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import error_messages


def exception_handler(exc, context):
    """DRF's handler, plus Django ValidationErrors raised by services answered as 400 with
    the same {field: [messages]} shape as serializer errors."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(error_messages(exc))
    return drf_exception_handler(exc, context)
