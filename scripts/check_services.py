"""Fail fast, naming the service, when PostgreSQL or Redis is not reachable (make test)."""

import os
import sys
from urllib.parse import urlparse

import psycopg2
import redis


def main() -> int:
    db_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["REDIS_URL"]
    problems = []
    where = urlparse(db_url)
    try:
        # Through the maintenance database; create the named one when it is missing.
        maintenance = where._replace(scheme="postgresql", path="/postgres").geturl()
        conn = psycopg2.connect(maintenance, connect_timeout=3)
        conn.autocommit = True
        with conn.cursor() as cur:
            name = where.path.lstrip("/")
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
            # The role the tests log in as: row-level security applies to it (README,
            # "Database roles"); created when missing, never superuser nor BYPASSRLS.
            role = os.environ.get("DATABASE_APP_ROLE")
            if role:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                if cur.fetchone() is None:
                    cur.execute(
                        f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB '
                        "NOCREATEROLE"
                    )
        conn.close()
    except psycopg2.Error as exc:
        problems.append(
            f"PostgreSQL is not reachable at {where.hostname}:{where.port or 5432} "
            f"(DATABASE_URL): {str(exc).strip()}"
        )
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis is not reachable at {redis_url} (REDIS_URL): {exc}")
    for problem in problems:
        print(f"make test: {problem}", file=sys.stderr)
    if problems:
        print(
            "Start the missing service (see README, 'Services') and run make test again.",
            file=sys.stderr,
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
