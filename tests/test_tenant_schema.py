"""The schema keeps tenants apart by itself and is ready to be distributed by organization
(Citus): read from PostgreSQL's catalog and from Django's models, so a table, a unique
constraint or a foreign key added later that breaks the rules fails here."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from metrics.models import Kpi
from perfhub.rls import ORG_COLUMN
from tests.factories import make_department

pytestmark = pytest.mark.django_db

# Tenant-to-tenant references deliberately without a database constraint (declared
# db_constraint=False): derived scorecard rows, rebuilt by the roll-up from rows that row-
# level security already limits to one organization, and history rows, which outlive the
# rows they describe. A new one must be added here on purpose.
UNCONSTRAINED = {
    ("briefings_briefingscheduleevent", "pgh_obj_id"),
    ("discussions_postevent", "parent_id"),
    ("discussions_postevent", "pgh_obj_id"),
    ("discussions_postevent", "thread_id"),
    ("grades_gradebandevent", "pgh_obj_id"),
    ("grades_gradingpolicyevent", "pgh_obj_id"),
    ("metrics_actualchange", "kpi_id"),
    ("metrics_actualchange", "period_id"),
    ("metrics_actualchange", "pgh_obj_id"),
    ("reviews_orgscorecard", "period_id"),
    ("scorecards_scorecardcommentevent", "department_id"),
    ("scorecards_scorecardcommentevent", "kpi_id"),
    ("scorecards_scorecardcommentevent", "period_id"),
    ("scorecards_scorecardcommentevent", "pgh_obj_id"),
    ("scorecards_actionevent", "department_id"),
    ("scorecards_actionevent", "goal_id"),
    ("scorecards_actionevent", "kpi_id"),
    ("scorecards_actionevent", "period_id"),
    ("scorecards_actionevent", "pgh_obj_id"),
    ("reviews_reviewstepevent", "pgh_obj_id"),
    ("reviews_scorecard", "department_id"),
    ("reviews_scorecard", "period_id"),
    ("reviews_scorecardline", "department_id"),
    ("reviews_scorecardline", "kpi_id"),
    ("reviews_scorecardline", "period_id"),
}


# References the database checks with a key of more than two columns (declared
# db_constraint=False, the key made by a migration): the table's columns -> the referenced
# table and its columns. An actual's KPI and department are one key: (organization, kpi,
# department) -> the KPI (metrics/migrations/0006).
WIDER_KEYS = {
    ("metrics_actual", ("organization_id", "kpi_id", "department_id")): (
        "metrics_kpi",
        ("organization_id", "id", "department_id"),
    ),
}


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


TENANT_TABLES = """
    SELECT c.oid FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT a.attisdropped
"""


def test_every_tenant_table_has_a_non_null_organization_column():
    rows = _rows(
        f"""
        SELECT c.relname, a.attnotnull FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
        WHERE c.oid IN ({TENANT_TABLES})
        """
    )
    assert len(rows) >= 18
    assert [table for table, not_null in rows if not not_null] == []


def test_every_unique_constraint_besides_the_primary_key_includes_the_organization():
    rows = _rows(
        f"""
        SELECT c.relname, i.relname FROM pg_index x
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
        WHERE x.indrelid IN ({TENANT_TABLES}) AND x.indisunique AND NOT x.indisprimary
          AND NOT (a.attnum = ANY (x.indkey::smallint[]))
        """
    )
    assert rows == []


def test_every_foreign_key_between_tenant_tables_includes_the_organization():
    rows = _rows(
        f"""
        SELECT k.conname, c.relname, t.relname,
          (SELECT array_position(k.conkey, a.attnum) FROM pg_attribute a
           WHERE a.attrelid = k.conrelid AND a.attname = 'organization_id'),
          (SELECT array_position(k.confkey, a.attnum) FROM pg_attribute a
           WHERE a.attrelid = k.confrelid AND a.attname = 'organization_id')
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_class t ON t.oid = k.confrelid
        WHERE k.contype = 'f' AND k.conrelid IN ({TENANT_TABLES})
          AND k.confrelid IN ({TENANT_TABLES})
        """
    )
    assert len(rows) >= 15
    wrong = [r[:3] for r in rows if r[3] is None or r[3] != r[4]]
    assert wrong == []


def _tenant(model) -> bool:
    return any(f.column == ORG_COLUMN for f in model._meta.concrete_fields)


def test_every_reference_between_tenant_models_is_enforced_with_the_organization():
    composite = {
        (table, cols[1]): target
        for table, target, cols, target_cols in _rows(
            """
            SELECT c.relname, t.relname,
              ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                    ORDER BY u.o),
              ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                    ORDER BY u.o)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_class t ON t.oid = k.confrelid WHERE k.contype = 'f'
            """
        )
        if len(cols) == 2 and cols[0] == ORG_COLUMN and target_cols == [ORG_COLUMN, "id"]
    }
    keys = {
        (table, tuple(cols)): (target, tuple(target_cols))
        for table, target, cols, target_cols in _rows(
            """
            SELECT c.relname, t.relname,
              ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
                    ORDER BY u.o),
              ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
                    ORDER BY u.o)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_class t ON t.oid = k.confrelid WHERE k.contype = 'f'
            """
        )
    }
    for key, target in WIDER_KEYS.items():
        assert keys.get(key) == target, key
    wider = {(table, col) for table, cols in WIDER_KEYS for col in cols if col != ORG_COLUMN}
    missing, unconstrained = [], set()
    for model in apps.get_models(include_auto_created=True):
        if not _tenant(model):
            continue
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.column == ORG_COLUMN:
                continue
            if not _tenant(field.related_model):
                continue
            key = (model._meta.db_table, field.column)
            if key in wider:
                continue  # checked above, with the wider key
            if not field.db_constraint:
                unconstrained.add(key)
            elif composite.get(key) != field.related_model._meta.db_table:
                missing.append(key)
    assert missing == []
    assert unconstrained == UNCONSTRAINED


def test_a_row_cannot_point_at_another_organizations_row(org, other_org):
    from metrics.models import Indicator
    from metrics.services.library import library_install

    library_install(org=org)
    ours = make_department(org, code="sales")
    theirs = make_department(other_org, code="sales")
    indicator = Indicator.objects.for_org(org).first()
    # Through the ORM: a KPI of our organization on their department.
    with pytest.raises(IntegrityError), transaction.atomic():
        Kpi.objects.create(organization=org, department=theirs, indicator=indicator)
        connection.check_constraints()  # the keys are deferred to the commit, like Django's
    kpi = Kpi.objects.create(organization=org, department=ours, indicator=indicator)
    # Through raw SQL: moving it to their department.
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE metrics_kpi SET department_id = %s WHERE id = %s", [theirs.pk, kpi.pk]
            )
        connection.check_constraints()
    # Or to an id that does not exist at all.
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE metrics_kpi SET department_id = %s WHERE id = %s", [10**9, kpi.pk]
            )
        connection.check_constraints()
    # The same department of our organization is fine.
    with transaction.atomic():
        Kpi.objects.for_org(org).filter(pk=kpi.pk).update(weight=2)
        connection.check_constraints()
