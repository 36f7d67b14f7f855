"""Database-level tenant isolation: row-level security (perfhub.rls, perfhub.tenancy).

The catalog checks read PostgreSQL's own tables, not the installer's lists, so a table that
the installer misses fails here. Test code normally sees every organization (a session
setting of the test connection, tests/conftest.py); these tests turn it off first."""

import pytest
from django.apps import apps
from django.db import connection, transaction

from departments.models import Department, Membership
from perfhub import rls, tenancy
from perfhub.tenancy import TenantModel
from tests.factories import MembershipFactory, UserFactory, make_department

pytestmark = pytest.mark.django_db


def _production_view(cursor, local=True):
    """What a request or job sees before it names an organization: no setting at all."""
    cursor.execute(
        "SELECT set_config('perfhub.system', '', %s), set_config('perfhub.org_id', '', %s), "
        "set_config('perfhub.user_id', '', %s)",
        [local, local, local],
    )


def _catalog_tenant_tables(cursor) -> list[tuple]:
    cursor.execute(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM information_schema.columns col
        JOIN pg_class c ON c.relname = col.table_name
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = col.table_schema
        WHERE col.table_schema = current_schema() AND col.column_name = 'organization_id'
          AND c.relkind IN ('r', 'p')
        ORDER BY 1
        """
    )
    return cursor.fetchall()


def test_every_table_with_organization_id_has_forced_rls_and_its_policy():
    with connection.cursor() as cursor:
        tables = _catalog_tenant_tables(cursor)
        cursor.execute(
            "SELECT tablename, cmd, qual, with_check FROM pg_policies "
            "WHERE schemaname = current_schema()"
        )
        policies = {}
        for table, cmd, qual, check in cursor.fetchall():
            policies.setdefault(table, []).append((cmd, qual or "", check or ""))
    problems = []
    for table, enabled, forced in tables:
        if not enabled:
            problems.append(f"{table}: row-level security not enabled")
        if not forced:
            problems.append(f"{table}: row-level security not forced")
        tenant = [
            p
            for p in policies.get(table, [])
            if p[0] == "ALL"
            and "organization_id" in p[1]
            and "perfhub.org_id" in p[1]
            and "perfhub.org_id" in p[2]
        ]
        if not tenant:
            problems.append(f"{table}: no policy on organization_id = perfhub.org_id")
    assert not problems, problems
    print(f"{len(tables)} tables under row-level security")
    # Every tenant model is among them, history and through tables too.
    names = {t[0] for t in tables}
    for model in apps.get_models():
        if issubclass(model, TenantModel):
            assert model._meta.db_table in names
    assert "metrics_actualchange" in names
    assert len(tables) >= 18


def test_the_tests_connect_as_a_role_that_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, r.rolbypassrls, session_user = current_user, "
            "pg_get_userbyid(c.relowner) = current_user "
            "FROM pg_roles r, pg_class c WHERE r.rolname = current_user "
            "AND c.oid = 'departments_department'::regclass"
        )
        superuser, bypass, logged_in_as_it, owns_tables = cursor.fetchone()
    assert not superuser
    assert not bypass
    assert logged_in_as_it  # logged in as the app role, not SET ROLE
    assert not owns_tables  # so it cannot turn row-level security off either
    # The Celery subprocesses of the job tests log in with these same settings.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert connection.settings_dict["USER"] == cursor.fetchone()[0]


def test_raw_sql_without_setting_sees_nothing_and_with_one_sees_only_that_org(org, other_org):
    make_department(org, code="sales")
    make_department(other_org, code="sales")
    make_department(other_org, code="hr", kind="management", function="hr")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM departments_department")
        assert cursor.fetchone()[0] == 3  # the test code's own view: every organization

        _production_view(cursor)
        cursor.execute("SELECT count(*) FROM departments_department")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM departments_departmentclosure")
        assert cursor.fetchone()[0] == 0

        cursor.execute("SELECT set_config('perfhub.org_id', %s, true)", [str(other_org.pk)])
        cursor.execute(
            "SELECT DISTINCT organization_id, count(*) FROM departments_department GROUP BY 1"
        )
        assert cursor.fetchall() == [(other_org.pk, 2)]
        # Writing another organization's row is refused too (WITH CHECK).
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE departments_department SET organization_id = %s", [org.pk])
        cursor.execute(
            "UPDATE departments_department SET is_active = false WHERE organization_id = %s",
            [org.pk],
        )
        assert cursor.rowcount == 0


def test_orm_query_with_org_setting_cannot_reach_another_org(org, other_org):
    make_department(org, code="sales")
    theirs = make_department(other_org, code="sales")
    with connection.cursor() as cursor:
        _production_view(cursor)
    with tenancy.org_atomic(org):
        # Even a query that names the other organization gets nothing back.
        assert not Department.objects.for_org(other_org).exists()
        assert not Department.objects.unscoped().filter(pk=theirs.pk).exists()
        assert Department.objects.for_org(org).count() == 1


def test_user_setting_shows_only_that_users_memberships(org, other_org, admin, outsider):
    MembershipFactory(organization=other_org, user=admin)
    with connection.cursor() as cursor:
        _production_view(cursor)
    memberships = {(m.organization_id, m.user_id) for m in tenancy_user_memberships(admin)}
    assert memberships == {(org.pk, admin.pk), (other_org.pk, admin.pk)}
    with transaction.atomic():
        tenancy.activate_user(admin)
        assert not Membership.objects.unscoped().filter(user=outsider).exists()
        assert not Department.objects.unscoped().exists()


def tenancy_user_memberships(user):
    from departments.selectors import membership_list_for_user

    return membership_list_for_user(user=user)


def test_installer_is_idempotent():
    # Already applied by the migrations: nothing to do, so no DDL (and the app role, which
    # could not run any, gets through).
    assert rls.install() == []


@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_does_not_carry_the_setting_to_the_next_transaction(org):
    make_department(org, code="sales")
    with connection.cursor() as cursor:
        _production_view(cursor, local=False)
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        _next_transactions_see_nothing(org, pid)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('perfhub.system', 'on', false)")


def _next_transactions_see_nothing(org, pid):
    with tenancy.org_atomic(org):
        assert Department.objects.for_org(org).count() == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(), current_setting('perfhub.org_id', true), "
            "(SELECT count(*) FROM departments_department)"
        )
        assert cursor.fetchone() == (pid, "", 0)
    # The user setting too.
    with tenancy.org_atomic(org):
        tenancy.activate_user(UserFactory(username="someone"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('perfhub.org_id', true), "
            "current_setting('perfhub.user_id', true), "
            "(SELECT count(*) FROM departments_department)"
        )
        assert cursor.fetchone() == ("", "", 0)


@pytest.mark.django_db(transaction=True)
def test_the_setting_outside_a_transaction_is_refused(org):
    with pytest.raises(tenancy.TransactionRequired):
        tenancy.activate_org(org)


def test_operators_admin_lists_every_organizations_rows_for_a_superuser_only(
    client, org, other_org, admin
):
    from django.contrib.auth import get_user_model

    make_department(org, code="ours-dept")
    make_department(other_org, code="their-dept")
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(operator)
    page = client.get("/admin/departments/department/").content.decode()
    assert "ours-dept" in page and "their-dept" in page
    # Staff without superuser rights get no tenant rows (nor the page).
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/departments/department/").status_code == 403
