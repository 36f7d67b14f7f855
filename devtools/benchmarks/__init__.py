"""Benchmarks run by ``manage.py benchmark <name>``.

Each benchmark is a module here that defines ``HELP`` (one line), ``add_arguments(parser)``
and ``run(*, log, **options) -> dict``; the command prints the returned dict as JSON on
stdout (progress goes to stderr through ``log``). Register a new one (``rollup``,
``dashboard``) by adding its module to BENCHMARKS.

They create their own throwaway organization in whatever database DATABASE_URL names and
delete it afterwards. Run them against PostgreSQL: the figures of SQLite say nothing about
production, and the history triggers only exist on PostgreSQL.
"""

from __future__ import annotations

import importlib
from types import ModuleType

BENCHMARKS = {
    "import": "devtools.benchmarks.imports",
    "rollup": "devtools.benchmarks.rollup",
    "dashboard": "devtools.benchmarks.dashboard",
    "burst": "devtools.benchmarks.burst",
}


def load(name: str) -> ModuleType:
    return importlib.import_module(BENCHMARKS[name])
