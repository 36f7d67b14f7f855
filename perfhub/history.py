"""Audit history context (django-pghistory) that degrades cleanly on SQLite.

On PostgreSQL, database triggers record every change of tracked rows and this context adds
who and from which URL. SQLite (the `make run` demo) has no triggers; services record the
history rows themselves there, and the context is skipped (pghistory's injection needs
psycopg)."""

import contextlib

import pghistory
from django.db import connection
from pghistory.middleware import HistoryMiddleware as PgHistoryMiddleware


def history_context(**metadata):
    if connection.vendor == "postgresql":
        return pghistory.context(**metadata)
    return contextlib.nullcontext()


class HistoryMiddleware(PgHistoryMiddleware):
    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)
