"""Refusing an oversized upload before its file is stored.

Django parses a multipart body as soon as anything reads `request.POST` (the CSRF check
does, before the view), streaming each file to memory or to a temporary file. The first
upload handler here stops that for a request whose declared length is above
PERFHUB_MAX_UPLOAD_BYTES (plus a form's worth of fields): the fields before the file (the
CSRF token comes first in every form) are read, the file and the rest are discarded unread
into storage, and the view answers 413 with a message (`request_too_large`)."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

FORM_ALLOWANCE = 16 * 1024  # the other fields of an upload form, and multipart framing


def request_too_large(request) -> bool:
    """The request declares more bytes than the largest accepted file and its form."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.PERFHUB_MAX_UPLOAD_BYTES + FORM_ALLOWANCE


class RefuseOversizedUpload(FileUploadHandler):
    too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.too_large = content_length > settings.PERFHUB_MAX_UPLOAD_BYTES + FORM_ALLOWANCE

    def new_file(self, *args, **kwargs):
        if self.too_large:
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # not too large: the next handlers store it

    def file_complete(self, file_size):
        return None
