"""The database's half of tenant isolation, on PostgreSQL (README, "Tenancy").

`install()` runs after every `manage.py migrate` (a post_migrate handler, see apps.py), once
all the migrations of the run are applied, so tables added later by any app are covered
without editing this module. It is idempotent and only changes what is missing: a migrate
with nothing to do issues no DDL and takes no table lock.

1. **Row-level security** on every table of the schema that has an `organization_id`
   column, found in the catalog (tenant models, their through tables, history event tables):
   enabled and forced (the owner too is subject to it unless it is a superuser or has
   BYPASSRLS), with one policy: a row is visible and writable when its organization is the
   transaction's `perfhub.org_id`, or when the transaction set `perfhub.system`
   (perfhub.tenancy). A model may also name a user column (`rls_readable_by_user`) whose
   rows that user may read in every organization: Membership, for "which organizations is
   this user in".
2. **No cross-tenant references**: every foreign key between two tenant models becomes
   (organization_id, x_id) REFERENCES t (organization_id, id), with UNIQUE
   (organization_id, id) on the referenced table, and Django's one-column constraint is
   dropped, so a row can only point at a row of its own organization and the schema is ready
   to be distributed by organization (Citus). Fields declared `db_constraint=False` (derived
   scorecard rows, history rows) stay without a database constraint, as declared.
3. **Privileges**: the application role (settings.DATABASE_APP_ROLE, when it exists) gets
   SELECT, INSERT, UPDATE and DELETE on every table and USAGE on every sequence, nothing
   more (no TRUNCATE, which row-level security does not cover).

SQLite has none of this: `install()` does nothing there.
"""

from __future__ import annotations

import hashlib
import logging

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections, transaction

log = logging.getLogger(__name__)

ORG_COLUMN = "organization_id"
POLICY_PREFIX = "perfhub_"
_ORG = "(SELECT NULLIF(current_setting('perfhub.org_id', true), '')::bigint)"
_USER = "(SELECT NULLIF(current_setting('perfhub.user_id', true), '')::bigint)"
_SYSTEM = "(SELECT COALESCE(current_setting('perfhub.system', true), '') = 'on')"
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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def post_migrate_handler(sender, using="default", apps=None, **kwargs) -> None:
    """Run once per migrate, after the last app's post_migrate (every table exists)."""
    with_models = [a for a in global_apps.get_app_configs() if a.models_module is not None]
    if not with_models or sender is not with_models[-1]:
        return
    install(using=using)
