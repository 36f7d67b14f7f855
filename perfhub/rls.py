"""The database's half of tenant isolation, on PostgreSQL (docs/security.md, "Tenancy").

`install()` runs after every `manage.py migrate` (a post_migrate handler, see apps.py), once
all the migrations of the run are applied, so tables added later by any app are covered
without editing this module. It is idempotent and only changes what is missing: a migrate
with nothing to do issues no DDL and takes no table lock.

1. **Row-level security** on every table of the schema that has an `organization_id`
   column, found in the catalog (tenant models, their through tables, history event tables):
   enabled and forced (the owner too is subject to it unless it is a superuser or has
   BYPASSRLS), with one policy: a row is visible and writable when its organization is the
   transaction's `perfhub.org_id`, or when the transaction set `perfhub.system` *and* the
   current role is a member of the NOLOGIN role `perfhub_system` (SYSTEM_ROLE, created here
   when missing). The application role is never a member: for it the system setting does
   nothing, so SQL it runs (an injection included) can name one organization at a time at
   most. Only the tests' own login role (tests/dbroles.py) and a non-superuser owner (for
   the functions below) are members. A model may also name a user column
   (`rls_readable_by_user`) whose rows that user may read in every organization:
   Membership, for "which organizations is this user in".
2. **No cross-tenant references**: every foreign key between two tenant models becomes
   (organization_id, x_id) REFERENCES t (organization_id, id), with UNIQUE
   (organization_id, id) on the referenced table, and Django's one-column constraint is
   dropped, so a row can only point at a row of its own organization and the schema is ready
   to be distributed by organization (Citus). Fields declared `db_constraint=False` (derived
   scorecard rows, history rows) stay without a database constraint, as declared.
3. **Privileges**: the application role (settings.DATABASE_APP_ROLE, when it exists) gets
   SELECT, INSERT, UPDATE and DELETE on every table, USAGE on every sequence and EXECUTE on
   the schema's SECURITY DEFINER functions, nothing more (no TRUNCATE, which row-level
   security does not cover). Those functions, owned by the owner, are the only
   cross-tenant reads the application makes, and return ids only
   (`metrics_pending_organization_ids`, metrics/migrations/0002); `id_function_sql` writes
   one.

SQLite has none of this: `install()` does nothing there.
"""

from __future__ import annotations

import hashlib
import logging

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

log = logging.getLogger(__name__)

ORG_COLUMN = "organization_id"
POLICY_PREFIX = "perfhub_"
_ORG = "(SELECT NULLIF(current_setting('perfhub.org_id', true), '')::bigint)"
_USER = "(SELECT NULLIF(current_setting('perfhub.user_id', true), '')::bigint)"
SYSTEM_ROLE = "perfhub_system"
# SYSTEM_ROLE, spelled out. The role is looked up by name in pg_roles (no error while it
# does not exist: then nobody has system access); an initplan, evaluated once per statement.
_SYSTEM = (
    "(SELECT COALESCE(current_setting('perfhub.system', true), '') = 'on' AND EXISTS ("
    "SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = 'perfhub_system' "
    "AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')))"
)
TENANT_CONDITION = f"{ORG_COLUMN} = {_ORG} OR {_SYSTEM}"
APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _name(*parts: str, suffix: str) -> str:
    """A constraint or policy name within PostgreSQL's 63 characters, stable per input."""
    name = "_".join(parts) + f"_{suffix}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: 63 - len(suffix) - 10]}_{digest}_{suffix}"


def _policy_name(kind: str, definition: str) -> str:
    """Policies are named after a digest of their definition: a changed definition gets a
    new name, and the old policy is dropped, without comparing deparsed SQL."""
    return f"{POLICY_PREFIX}{kind}_{hashlib.sha256(definition.encode()).hexdigest()[:10]}"


def tenant_tables(cursor) -> dict[str, tuple[bool, bool]]:
    """{table: (rls enabled, rls forced)} for every table of the schema with the column."""
    cursor.execute(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %s AND NOT a.attisdropped
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """,
        [ORG_COLUMN],
    )
    return {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}


def _is_tenant_model(model) -> bool:
    opts = model._meta
    if opts.proxy or not opts.managed:
        return False
    return any(f.column == ORG_COLUMN for f in opts.concrete_fields)


def tenant_foreign_keys(app_registry=global_apps) -> list[tuple[str, str, str]]:
    """(table, column, referenced table) for every database-constrained foreign key from a
    tenant model to another tenant model's id (the organization's own key aside)."""
    found = []
    for model in app_registry.get_models(include_auto_created=True):
        if not _is_tenant_model(model):
            continue
        for field in model._meta.concrete_fields:
            if not field.many_to_one and not field.one_to_one:
                continue
            if field.column == ORG_COLUMN or not field.db_constraint:
                continue
            target = field.related_model
            if not _is_tenant_model(target) or field.target_field.column != "id":
                continue
            found.append((model._meta.db_table, field.column, target._meta.db_table))
    return sorted(set(found))


def _user_policies(app_registry) -> dict[str, str]:
    """{table: user column} for models that let a user read their own rows everywhere."""
    tables = {}
    for model in app_registry.get_models():
        field_name = getattr(model, "rls_readable_by_user", None)
        if field_name and _is_tenant_model(model):
            tables[model._meta.db_table] = model._meta.get_field(field_name).column
    return tables


def _policies(cursor, table: str) -> set[str]:
    cursor.execute(
        "SELECT policyname FROM pg_policies WHERE schemaname = current_schema() AND tablename = %s",
        [table],
    )
    return {row[0] for row in cursor.fetchall()}


def _constraints(cursor) -> set[tuple[str, str]]:
    cursor.execute(
        """
        SELECT c.relname, k.conname FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema()
        """
    )
    return {(t, n) for t, n in cursor.fetchall()}


def _single_column_fks(cursor, table: str, column: str, target: str) -> list[str]:
    cursor.execute(
        """
        SELECT k.conname FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
        WHERE n.nspname = current_schema() AND k.contype = 'f' AND c.relname = %s
          AND cardinality(k.conkey) = 1 AND a.attname = %s
          AND k.confrelid = quote_ident(%s)::regclass
        """,
        [table, column, target],
    )
    return [row[0] for row in cursor.fetchall()]


def _role_exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def install(using: str = "default", app_registry=global_apps) -> list[str]:
    """Bring the database up to the rules above; return the statements it ran."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    q = connection.ops.quote_name
    ran: list[str] = []
    with transaction.atomic(using=using), connection.cursor() as cursor:

        def run(sql: str) -> None:
            cursor.execute(sql)
            ran.append(sql)

        _ensure_system_role(cursor, run)
        tables = tenant_tables(cursor)
        user_columns = _user_policies(app_registry)
        for table, (enabled, forced) in tables.items():
            if not enabled:
                run(f"ALTER TABLE {q(table)} ENABLE ROW LEVEL SECURITY")
            if not forced:
                run(f"ALTER TABLE {q(table)} FORCE ROW LEVEL SECURITY")
            wanted = {
                _policy_name("tenant", TENANT_CONDITION): (
                    f"FOR ALL USING ({TENANT_CONDITION}) WITH CHECK ({TENANT_CONDITION})"
                )
            }
            if table in user_columns:
                condition = f"{q(user_columns[table])} = {_USER}"
                wanted[_policy_name("own_user", condition)] = f"FOR SELECT USING ({condition})"
            present = _policies(cursor, table)
            for name in sorted(present - set(wanted)):
                if name.startswith(POLICY_PREFIX):
                    run(f"DROP POLICY {q(name)} ON {q(table)}")
            for name, body in wanted.items():
                if name not in present:
                    run(f"CREATE POLICY {q(name)} ON {q(table)} {body}")

        constraints = _constraints(cursor)
        for table, column, target in tenant_foreign_keys(app_registry):
            if table not in tables or target not in tables:
                continue  # not migrated in this database
            unique = _name(target, "org_id", suffix="uniq")
            if (target, unique) not in constraints:
                run(f"ALTER TABLE {q(target)} ADD CONSTRAINT {q(unique)} UNIQUE ({ORG_COLUMN}, id)")
                constraints.add((target, unique))
            fk = _name(table, column, suffix="org_fk")
            if (table, fk) not in constraints:
                run(
                    f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(fk)} FOREIGN KEY "
                    f"({ORG_COLUMN}, {q(column)}) REFERENCES {q(target)} ({ORG_COLUMN}, id) "
                    "DEFERRABLE INITIALLY DEFERRED"
                )
                constraints.add((table, fk))
            for old in _single_column_fks(cursor, table, column, target):
                run(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(old)}")

        role = getattr(settings, "DATABASE_APP_ROLE", "")
        if role and _role_exists(cursor, role):
            _grant(cursor, role, run)
        elif role:
            log.warning("database role %s does not exist: no privileges granted", role)
    for sql in ran:
        log.info("rls: %s", sql)
    return ran


def _ensure_system_role(cursor, run) -> None:
    """The NOLOGIN role whose members the system setting applies to (cluster-wide, like
    every role). A migrating owner that neither is a superuser nor bypasses row-level
    security becomes a member, so that its SECURITY DEFINER functions see every tenant.
    An owner that may not manage roles gets a warning instead: until someone creates the
    role (docker/initdb does), the system setting applies to nobody."""
    cursor.execute(
        """
        SELECT r.rolname, r.rolsuper OR r.rolcreaterole,
          NOT (r.rolsuper OR r.rolbypassrls)
          AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = current_schema() AND c.relowner = r.oid)
        FROM pg_roles r WHERE r.rolname = current_user
        """
    )
    me, manages_roles, needs_membership = cursor.fetchone()
    if not _role_exists(cursor, SYSTEM_ROLE):
        if not manages_roles:
            log.warning("database role %s does not exist: create it (NOLOGIN)", SYSTEM_ROLE)
            return
        run(f"CREATE ROLE {_quote(SYSTEM_ROLE)} NOLOGIN")
    if needs_membership and not is_system_member(cursor, me):
        if manages_roles:
            run(f"GRANT {_quote(SYSTEM_ROLE)} TO CURRENT_USER")
        else:
            log.warning("the owner is not a member of %s: GRANT it", SYSTEM_ROLE)


def is_system_member(cursor, role: str) -> bool:
    """Whether the role is (directly or not) a member of SYSTEM_ROLE."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = %s "
        "AND pg_has_role(%s, r.oid, 'MEMBER'))",
        [SYSTEM_ROLE, role],
    )
    return cursor.fetchone()[0]


def id_function_sql(name: str, arguments: str, body: str, *, schema: str) -> list[str]:
    """The statements that create (or replace) a cross-tenant read for the application:
    a function returning bigint ids, SECURITY DEFINER (it runs as its owner, the migrating
    owner), which turns the system setting on for its own query only (a SET clause on the
    function would need a superuser: the setting is not a server parameter), with a fixed
    search_path (`body` names its tables with `{schema}.`), executable by nobody but the
    application role (`install()` grants it). Return ids, never rows: the caller then works
    on each organization under its own setting."""
    quote = _quote
    qualified = f"{quote(schema)}.{quote(name)}"
    types = ", ".join(a.split()[-1] for a in arguments.split(",") if a.strip())
    return [
        f"CREATE OR REPLACE FUNCTION {qualified}({arguments}) RETURNS SETOF bigint "
        "LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
        "AS $body$\n"
        "DECLARE previous text := current_setting('perfhub.system', true);\n"
        "BEGIN\n"
        "  PERFORM set_config('perfhub.system', 'on', true);\n"
        f"  RETURN QUERY {body.format(schema=quote(schema))};\n"
        "  PERFORM set_config('perfhub.system', COALESCE(previous, ''), true);\n"
        "END\n$body$",
        f"REVOKE ALL ON FUNCTION {qualified}({types}) FROM PUBLIC",
    ]


def _grant(cursor, role: str, run) -> None:
    checks = " AND ".join(f"has_table_privilege(%s, c.oid, '{p}')" for p in APP_PRIVILEGES)
    cursor.execute(
        f"""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
          AND NOT ({checks})
        """,  # noqa: S608 - our own constant privilege names
        [role] * len(APP_PRIVILEGES),
    )
    quote = _quote
    for (table,) in cursor.fetchall():
        run(f"GRANT {', '.join(APP_PRIVILEGES)} ON {quote(table)} TO {quote(role)}")
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind = 'S'
          AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(%s, c.oid, 'USAGE')
                   ELSE false END
        """,
        [role],
    )
    for (sequence,) in cursor.fetchall():
        run(f"GRANT USAGE, SELECT ON SEQUENCE {quote(sequence)} TO {quote(role)}")
    cursor.execute(
        """
        SELECT p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.prosecdef
          AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
          AND NOT has_function_privilege(%s, p.oid, 'EXECUTE')
        """,
        [role],
    )
    for (function,) in cursor.fetchall():
        run(f"GRANT EXECUTE ON FUNCTION {function} TO {quote(role)}")
    if is_system_member(cursor, role):
        raise ImproperlyConfigured(
            f"The application role {role} is a member of {SYSTEM_ROLE}, so it could see "
            f"every organization: REVOKE {SYSTEM_ROLE} FROM {role}."
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def post_migrate_handler(sender, using="default", apps=None, **kwargs) -> None:
    """Run once per migrate, after the last app's post_migrate (every table exists)."""
    with_models = [a for a in global_apps.get_app_configs() if a.models_module is not None]
    if not with_models or sender is not with_models[-1]:
        return
    install(using=using)
