"""The tests log in to PostgreSQL as the application role, as production does.

pytest-django creates the test database and runs the migrations as the *owner* (which is
how production migrates too), then every test query logs in as the application role:
neither superuser nor BYPASSRLS, so row-level security applies to the whole suite.

- With `DATABASE_OWNER_URL` set, it is the owner and `DATABASE_URL` the application login
  (production's meaning of both).
- Without it (`make test`, or a bare `DATABASE_URL=postgres://postgres@…/perfhub pytest`),
  `DATABASE_URL` is the owner and the tests log in to the same server as
  `DATABASE_APP_ROLE` (default perfhub_app; password `DATABASE_APP_PASSWORD`, or none for
  trust/.pgpass), created when missing.

The test code itself (factories, services called directly, assertions) needs to see every
organization, which the application role cannot (perfhub.rls: the system setting only
applies to members of `perfhub_system`). So the test connection logs in as a test-only role,
`<application role>_tests` (perfhub_app_tests), created here: a member of the application
role (its privileges, nothing more) and of perfhub_system. Requests under test run on that
connection with the system setting off (tests/conftest.py), so row-level security applies
to them as to the application; the Celery workers and gunicorn of the job tests
(tests/live.py) log in as the application role itself. Roles are shared by every database
of the server: the application role is never made a member of perfhub_system.

Test-only grants: TRUNCATE to the test role, which Django's flush needs between
transactional tests (row-level security does not cover TRUNCATE, so production never
grants it)."""

from __future__ import annotations

import os

import environ
from django.db import connections

# The application role's login fields, once the test database is set up (the job tests'
# subprocesses log in with them, tests/live.py).
APP_LOGIN: dict = {}


def credentials(settings_dict: dict) -> dict:
    """(owner, app) login fields for the default database."""
    owner_url = os.environ.get("DATABASE_OWNER_URL")
    current = {"USER": settings_dict["USER"], "PASSWORD": settings_dict["PASSWORD"]}
    if owner_url:
        cfg = environ.Env.db_url_config(owner_url)
        return {"USER": cfg["USER"], "PASSWORD": cfg["PASSWORD"]}, current
    app = {
        "USER": os.environ.get("DATABASE_APP_ROLE", "perfhub_app"),
        "PASSWORD": os.environ.get("DATABASE_APP_PASSWORD", ""),
    }
    return current, app


def _quote(role: str) -> str:
    return '"' + role.replace('"', '""') + '"'


def test_login(app: dict) -> dict:
    """The login fields of the test-only role that goes with the application role."""
    return {"USER": app["USER"] + "_tests", "PASSWORD": app["PASSWORD"]}


def ensure_role(cursor, role: str, password: str) -> None:
    """Create the application role when it is missing (never a superuser or BYPASSRLS)."""
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is None:
        quoted = _quote(role)
        options = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        if password:
            cursor.execute(f"CREATE ROLE {quoted} {options} PASSWORD %s", [password])
        else:
            cursor.execute(f"CREATE ROLE {quoted} {options}")


def ensure_test_role(cursor, test: dict, app: dict) -> None:
    """The test connection's role: the application role's privileges, plus perfhub_system
    (created by perfhub.rls during the migrations) for the test code's own view."""
    from perfhub.rls import SYSTEM_ROLE

    ensure_role(cursor, test["USER"], test["PASSWORD"])
    for group in (app["USER"], SYSTEM_ROLE):
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [test["USER"], group])
        if not cursor.fetchone()[0]:
            cursor.execute(f"GRANT {_quote(group)} TO {_quote(test['USER'])}")


def log_in_as(fields: dict) -> None:
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(fields)
