"""The one cross-tenant read of the jobs (reviews.reconcile_pending): which organizations
have periods marked for recalculation. A SECURITY DEFINER function owned by the owner that
returns organization ids only (perfhub.rls.id_function_sql); the application role, for
which the system setting does nothing, may execute it. PostgreSQL only (SQLite has no
row-level security to get past)."""

from django.db import migrations

from perfhub.rls import id_function_sql

NAME = "metrics_pending_organization_ids"
BODY = (
    "SELECT DISTINCT organization_id FROM {schema}.metrics_pendingrecalculation "
    "WHERE attempts < max_attempts"
)


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return cursor.fetchone()[0]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in id_function_sql(
        NAME, "max_attempts integer", BODY, schema=_schema(schema_editor)
    ):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {NAME}(integer)")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
