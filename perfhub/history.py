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


def declare_no_ignored_triggers() -> None:
    """Make the history triggers' "is this trigger ignored?" check cheap for this transaction.

    pgtrigger's `_pgtrigger_should_ignore()` reads the `pgtrigger.ignore` setting inside an
    exception block; while the setting is undefined every row written raises and rolls back
    a subtransaction there, and each costs more the more rows the transaction has written
    (a 50,000-row import spent 16 s in its INSERTs instead of 1.7 s). Declaring "no trigger
    is ignored", local to the transaction, changes nothing else."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
