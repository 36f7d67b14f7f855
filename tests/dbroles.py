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

Test-only grants: TRUNCATE, which Django's flush needs between transactional tests (row-
level security does not cover TRUNCATE, so production never grants it)."""

from __future__ import annotations

import os

import environ
from django.db import connections


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


def ensure_role(cursor, role: str, password: str) -> None:
    """Create the application role when it is missing (never a superuser or BYPASSRLS)."""
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is None:
        quoted = '"' + role.replace('"', '""') + '"'
        options = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        if password:
            cursor.execute(f"CREATE ROLE {quoted} {options} PASSWORD %s", [password])
        else:
            cursor.execute(f"CREATE ROLE {quoted} {options}")


def log_in_as(fields: dict) -> None:
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(fields)
