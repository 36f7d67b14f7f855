"""The answers to requests Django itself refuses before any view runs: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE (413), too many form fields, a malformed request (400). JSON
for the API, a page otherwise; never a traceback (see templates/500.html for errors)."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def bad_request(request, exception):
    """handler400."""
    if isinstance(exception, RequestDataTooBig):
        status = 413
        message = _("The request is too large: at most %(mb)s MB.") % {
            "mb": _megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
    elif isinstance(exception, TooManyFieldsSent):
        status = 413
        message = _("The request has too many fields: send fewer at a time.")
    else:
        status = 400
        message = _("The request could not be understood.")
    return refused(request, message, status=status)


def refused(request, message: str, *, status: int = 400, field: str | None = None):
    """The refusal: JSON for the API (`{field: [message]}`, or `{"detail": message}`), a
    page otherwise."""
    if request.path.startswith("/api/"):
        body = {field: [message]} if field else {"detail": message}
        return JsonResponse(body, status=status)
    return render(request, "400.html", {"message": message}, status=status)
