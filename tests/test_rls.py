"""Database-level tenant isolation: row-level security (perfhub.rls, perfhub.tenancy).

The catalog checks read PostgreSQL's own tables, not the installer's lists, so a table that
the installer misses fails here. Test code normally sees every organization (a session
setting of the test connection, tests/conftest.py); these tests turn it off first."""

from urllib.parse import urlparse

import psycopg2
import pytest
from django.apps import apps
from django.db import connection, transaction

from departments.models import Department, Membership
from perfhub import rls, tenancy
from perfhub.tenancy import TenantModel
from tests import dbroles, live
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
    assert logged_in_as_it  # logged in as the test role, not SET ROLE
    assert not owns_tables  # so it cannot turn row-level security off either
    # The test role has the application role's privileges; the Celery subprocesses of the
    # job tests log in as the application role itself, which has no system view.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, pg_has_role(current_user, %s, 'MEMBER'), "
            "pg_has_role(%s, %s, 'MEMBER')",
            [dbroles.APP_LOGIN["USER"], dbroles.APP_LOGIN["USER"], rls.SYSTEM_ROLE],
        )
        user, has_app_privileges, app_is_system = cursor.fetchone()
    assert connection.settings_dict["USER"] == user == dbroles.APP_LOGIN["USER"] + "_tests"
    assert has_app_privileges
    assert not app_is_system
    subprocess_url = urlparse(live._env("redis://unused")["DATABASE_URL"])
    assert subprocess_url.username == dbroles.APP_LOGIN["USER"]


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


def _app_connection():
    """A connection of its own, logged in as the plain application role (perfhub_app)."""
    import psycopg2

    db = connection.settings_dict
    return psycopg2.connect(
        dbname=db["NAME"],
        user=dbroles.APP_LOGIN["USER"],
        password=dbroles.APP_LOGIN["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )


def _rows_per_table(cursor, tables, org_id) -> dict[str, int]:
    """{table: rows of organization org_id it shows} for the tables that show any."""
    shown = {}
    for table in tables:
        cursor.execute(
            f'SELECT count(*) FROM "{table}" WHERE organization_id = %s',  # noqa: S608
            [org_id],
        )
        if count := cursor.fetchone()[0]:
            shown[table] = count
    return shown


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_turn_on_the_system_view(org, other_org, admin, outsider):
    """An SQL injection runs as the application role: setting perfhub.system (for the
    session or the transaction) must not show it another organization's rows."""
    from metrics.services.library import library_install

    make_department(org, code="sales")
    make_department(other_org, code="sales")
    library_install(org=other_org)
    with connection.cursor() as cursor:
        tables = [t[0] for t in _catalog_tenant_tables(cursor)]
        theirs = _rows_per_table(cursor, tables, other_org.pk)  # the test role's view
    assert len(theirs) >= 5  # departments, closures, memberships, indicators, ...
    app = _app_connection()
    try:
        with app.cursor() as cursor:
            cursor.execute("SELECT session_user, current_user")
            assert cursor.fetchone() == (dbroles.APP_LOGIN["USER"],) * 2
            cursor.execute("SELECT set_config('perfhub.system', 'on', false)")
            assert _rows_per_table(cursor, tables, other_org.pk) == {}
            cursor.execute("SELECT set_config('perfhub.system', 'on', true)")
            assert _rows_per_table(cursor, tables, other_org.pk) == {}
            # With its own organization named, still that organization's rows only.
            cursor.execute("SELECT set_config('perfhub.org_id', %s, true)", [str(org.pk)])
            assert _rows_per_table(cursor, tables, other_org.pk) == {}
            assert _rows_per_table(cursor, tables, org.pk)
            app.rollback()
            # It cannot take the system role either.
            with pytest.raises(psycopg2.Error, match="permission denied"):
                cursor.execute(f"SET ROLE {rls.SYSTEM_ROLE}")
            app.rollback()
            # The functions it may call that run as the owner return ids, nothing else.
            cursor.execute(
                """
                SELECT p.proname, format_type(p.prorettype, NULL), p.proretset
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.prosecdef
                  AND has_function_privilege(current_user, p.oid, 'EXECUTE')
                """
            )
            functions = sorted(cursor.fetchall())
            assert functions == [
                ("feeds_unfinished_run_organization_ids", "bigint", True),
                ("metrics_pending_organization_ids", "bigint", True),
                ("metrics_unfinished_upload_organization_ids", "bigint", True),
            ]
    finally:
        app.close()


@pytest.mark.django_db(transaction=True)
def test_the_pending_organizations_function_returns_ids_to_the_application_role(org, other_org):
    from django.utils import timezone

    from metrics.models import PendingRecalculation, Period

    for each in (org, other_org):
        period = Period.objects.create(
            organization=each,
            kind="month",
            fiscal_year=2026,
            number=1,
            start="2026-01-01",
            end="2026-01-31",
            due_date="2026-02-05",
        )
        PendingRecalculation.objects.create(
            organization=each, period=period, requested_at=timezone.now()
        )
    PendingRecalculation.objects.for_org(other_org).update(attempts=5)
    app = _app_connection()
    try:
        with app.cursor() as cursor:
            cursor.execute("SELECT * FROM metrics_pending_organization_ids(5)")
            assert cursor.fetchall() == [(org.pk,)]
            cursor.execute("SELECT * FROM metrics_pending_organization_ids(6) ORDER BY 1")
            assert cursor.fetchall() == sorted([(org.pk,), (other_org.pk,)])
            # Its own setting did not outlive the call.
            cursor.execute("SELECT current_setting('perfhub.system', true)")
            assert cursor.fetchone()[0] in (None, "")
    finally:
        app.close()


@pytest.mark.django_db(transaction=True)
def test_the_unfinished_uploads_function_returns_ids_to_the_application_role(org, other_org):
    from metrics.models import Upload

    Upload.objects.create(organization=org, file_name="a.xlsx", content=b"x")
    Upload.objects.create(organization=other_org, file_name="b.xlsx", content=b"x", state="done")
    app = _app_connection()
    try:
        with app.cursor() as cursor:
            cursor.execute("SELECT * FROM metrics_upload")
            assert cursor.fetchall() == []  # no organization set: no row
            cursor.execute("SELECT * FROM metrics_unfinished_upload_organization_ids()")
            assert cursor.fetchall() == [(org.pk,)]
            cursor.execute("SELECT current_setting('perfhub.system', true)")
            assert cursor.fetchone()[0] in (None, "")
    finally:
        app.close()


@pytest.mark.django_db(transaction=True)
def test_the_unfinished_feed_runs_function_returns_ids_to_the_application_role(org, other_org):
    from feeds.models import DataFeed, FeedRun

    for o, state in ((org, "retrying"), (other_org, "done")):
        feed = DataFeed.objects.create(
            organization=o,
            name="f",
            kind="file",
            url="http://127.0.0.1/a.csv",
            department_column="d",
            kpi_column="k",
            period_column="p",
            value_column="v",
        )
        FeedRun.objects.create(organization=o, feed=feed, trigger="manual", state=state)
    app = _app_connection()
    try:
        with app.cursor() as cursor:
            cursor.execute("SELECT * FROM feeds_feedrun")
            assert cursor.fetchall() == []  # no organization set: no row
            cursor.execute("SELECT * FROM feeds_unfinished_run_organization_ids()")
            assert cursor.fetchall() == [(org.pk,)]
    finally:
        app.close()


def test_the_installer_refuses_an_application_role_with_the_system_view(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DATABASE_APP_ROLE = connection.settings_dict["USER"]  # the test role: a member
    with pytest.raises(ImproperlyConfigured, match="perfhub_system"):
        rls.install()


def _department_admin_page(client) -> str:
    return client.get("/admin/departments/department/").content.decode()


def test_operators_admin_shows_the_chosen_organizations_rows_to_a_superuser_only(
    client, org, other_org, admin
):
    from django.contrib.auth import get_user_model

    make_department(org, code="ours-dept")
    make_department(other_org, code="their-dept")
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = _department_admin_page(client)
    assert "ours-dept" not in page and "their-dept" not in page
    assert "no organization chosen" in page
    # One organization at a time, chosen with the organizations' list action.
    response = client.post(
        "/admin/departments/organization/",
        {"action": "work_in", "_selected_action": [org.pk, other_org.pk]},
        follow=True,
    )
    assert "Select exactly one organization" in response.content.decode()
    client.post(
        "/admin/departments/organization/",
        {"action": "work_in", "_selected_action": [other_org.pk]},
    )
    page = _department_admin_page(client)
    assert "their-dept" in page and "ours-dept" not in page
    assert "organization: Globex" in page
    client.post(
        "/admin/departments/organization/", {"action": "work_in", "_selected_action": [org.pk]}
    )
    page = _department_admin_page(client)
    assert "ours-dept" in page and "their-dept" not in page
    # Staff without superuser rights get no tenant rows (nor the page).
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/departments/department/").status_code == 403


def test_operators_admin_deletes_an_organization_with_its_rows(client, org, other_org):
    from django.contrib.auth import get_user_model

    from departments.models import Organization

    make_department(other_org, code="their-dept")
    MembershipFactory(organization=other_org, user=UserFactory(username="someone"))
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(operator)
    client.post(
        "/admin/departments/organization/", {"action": "work_in", "_selected_action": [org.pk]}
    )
    response = client.post(
        f"/admin/departments/organization/{other_org.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=other_org.pk).exists()
    assert not Department.objects.unscoped().filter(organization_id=other_org.pk).exists()
