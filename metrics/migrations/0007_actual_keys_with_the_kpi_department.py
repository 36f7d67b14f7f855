"""An actual's keys: one per reference, each with the organization, and no index that a
composite one already covers (issue 15: a 50,000-row upload paid five deferred key checks
per row at commit and kept eight indexes).

- (organization_id, kpi_id, department_id) REFERENCES metrics_kpi (organization_id, id,
  department_id): the KPI, and that the actual's department is its KPI's (KPIs never
  move), replacing the (organization, kpi) and (organization, department) keys that
  perfhub.rls made; the department is the KPI's, whose own key checks it.
- The plain organization key goes: the KPI's key implies it (the KPI has its own).
- (organization, period) and entered_by stay as they are.
- The one-column indexes of organization, kpi and period go (the unique (organization,
  kpi, period) and the (organization, period, department) index cover them); the
  department's stays (the roll-up reads a department's actuals by it).

PostgreSQL only for the keys (SQLite, the demo, keeps none of perfhub.rls's either)."""

import django.db.models.deletion
from django.db import migrations, models

OLD_KEYS = ("metrics_actual_kpi_id_org_fk", "metrics_actual_department_id_org_fk")
KEY = "metrics_actual_kpi_department_org_fk"


def add_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in OLD_KEYS:  # made by perfhub.rls on databases migrated before
        schema_editor.execute(f"ALTER TABLE metrics_actual DROP CONSTRAINT IF EXISTS {name}")
    schema_editor.execute(
        f"ALTER TABLE metrics_actual ADD CONSTRAINT {KEY} FOREIGN KEY "
        "(organization_id, kpi_id, department_id) REFERENCES metrics_kpi "
        "(organization_id, id, department_id) DEFERRABLE INITIALLY DEFERRED"
    )


def drop_key(apps, schema_editor):
    # perfhub.rls makes the two-column keys again after the migration.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE metrics_actual DROP CONSTRAINT IF EXISTS {KEY}")


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0003_invitation"),
        ("metrics", "0006_actual_sign_off"),
    ]

    operations = [
        migrations.AlterField(
            model_name="actual",
            name="department",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="departments.department",
            ),
        ),
        migrations.AlterField(
            model_name="actual",
            name="kpi",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="actuals",
                to="metrics.kpi",
            ),
        ),
        migrations.AlterField(
            model_name="actual",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="departments.organization",
            ),
        ),
        migrations.AlterField(
            model_name="actual",
            name="period",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="actuals",
                to="metrics.period",
            ),
        ),
        migrations.AddConstraint(
            model_name="kpi",
            constraint=models.UniqueConstraint(
                fields=("organization", "id", "department"), name="kpi_unique_id_department"
            ),
        ),
        migrations.RunPython(add_key, drop_key, elidable=False),
    ]
