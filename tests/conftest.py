"""The role matrix every view and API test uses: one organization with an admin, HR, a
manager (of Sales), an executive, plus an outsider who belongs only to another org."""

import psycopg2
import pytest
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connection
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from departments.models import Role
from metrics import selectors as metric_selectors
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply

from . import dbroles
from .factories import MembershipFactory, OrganizationFactory, UserFactory, make_department
from .live import point_app_at, processes, redis_server  # noqa: F401 - fixtures

PASSWORD = "pw-for-tests-123"


# --- The database: tests log in as the application role (tests/dbroles.py) -------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Create (and later drop) the test database as the owner."""
    from django.conf import settings

    owner, app = dbroles.credentials(settings.DATABASES["default"])
    settings.DATABASES["default"].update(owner)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        settings.DATABASE_APP_ROLE = app["USER"]  # the role perfhub.rls grants to
    return (owner, app)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_modify_db_settings, django_db_blocker):
    """After the owner has created and migrated the test database, every test query logs
    in as the test role (the application role's privileges, plus the system view for the
    test code: tests/dbroles.py); the owner drops the database at the end."""
    owner, app = django_db_modify_db_settings
    if connection.vendor != "postgresql":
        yield
        return
    test = dbroles.test_login(app)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        dbroles.ensure_role(cursor, app["USER"], app["PASSWORD"])
        from perfhub import rls

        rls.install()  # grants the role its privileges even when it was just created
        dbroles.ensure_test_role(cursor, test, app)
        cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{test["USER"]}"')
    dbroles.APP_LOGIN.update(app)
    dbroles.log_in_as(test)
    yield
    with django_db_blocker.unblock():
        dbroles.log_in_as(owner)


def _system_on(sender=None, connection=None, **kwargs):
    """Test code (factories, services called directly, assertions) sees every
    organization: a session setting of the test connection only, which works because the
    test role is a member of perfhub_system (the application role is not, and the setting
    does nothing for it). Requests and jobs under test set their own (see below)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('perfhub.system', 'on', false)")


def _raw_cursor():
    """psycopg's own cursor: the tests' plumbing is not counted by query-count tests."""
    return connection.connection.cursor()


def _request_started(**kwargs):
    """A request under test starts as in production: no tenant setting at all."""
    if connection.vendor == "postgresql" and connection.connection is not None:
        try:
            with _raw_cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('perfhub.system', '', false), "
                    "set_config('perfhub.system', '', true)"
                )
        except (DatabaseError, psycopg2.Error):
            pass  # a test that broke its own connection on purpose


def _request_finished(**kwargs):
    """Back to the test's own view of every organization once the request is done (the
    request's settings would otherwise outlive it in the test's enclosing transaction)."""
    if connection.vendor == "postgresql" and connection.connection is not None:
        try:
            with _raw_cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('perfhub.org_id', '', true), "
                    "set_config('perfhub.user_id', '', true), "
                    "set_config('perfhub.system', 'on', false), "
                    "set_config('perfhub.system', 'on', true)"
                )
        except (DatabaseError, psycopg2.Error):
            pass


@pytest.fixture(autouse=True, scope="session")
def _tenant_settings_for_tests():
    connection_created.connect(_system_on, dispatch_uid="tests.system_on")
    request_started.connect(_request_started, dispatch_uid="tests.request_started")
    request_finished.connect(_request_finished, dispatch_uid="tests.request_finished")
    yield
    connection_created.disconnect(dispatch_uid="tests.system_on")
    request_started.disconnect(dispatch_uid="tests.request_started")
    request_finished.disconnect(dispatch_uid="tests.request_finished")


@pytest.fixture(autouse=True)
def _celery_conf_restored():
    """The Celery app's configuration is process-wide: a test (or a thread it started) that
    leaves it changed - jobs in-process, another broker - would make every later job test
    run its jobs here instead of in its worker. Each test starts from the configured
    values (settings.CELERY_TASK_ALWAYS_EAGER, CELERY_BROKER_URL), and a test that leaves
    them changed fails, so a leak is found where it is made."""
    from django.conf import settings

    from perfhub.celery import app

    configured = (settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL)

    def reset():
        app.conf.task_always_eager, app.conf.broker_url = configured
        app._pool = None
        app.amqp._producer_pool = None

    if (app.conf.task_always_eager, app.conf.broker_url) != configured:
        reset()
    yield
    left = (app.conf.task_always_eager, app.conf.broker_url)
    if left != configured:
        reset()
        pytest.fail(f"the Celery configuration was left changed: {configured} -> {left}")


@pytest.fixture(autouse=True)
def _english_messages():
    """Service-level messages are asserted in English; pages pick their own language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """Tests talk plain HTTP to the test client; production redirects to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """Each test its own empty cache: a cached dashboard of one test never serves another."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme", name="Acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(slug="globex", name="Globex")


def _member(org, username, role):
    user = UserFactory(username=username)
    MembershipFactory(organization=org, user=user, role=role)
    return user


@pytest.fixture
def admin(org):
    return _member(org, "alice-admin", Role.ADMIN)


@pytest.fixture
def hr(org):
    return _member(org, "harry-hr", Role.HR)


@pytest.fixture
def executive(org):
    return _member(org, "eve-exec", Role.EXECUTIVE)


@pytest.fixture
def sales(org):
    return make_department(org, code="sales", name="销售部", name_en="Sales")


@pytest.fixture
def manager(org, sales):
    from departments.services import department_update

    user = _member(org, "mona-manager", Role.MANAGER)
    department_update(department=sales, by=None, managers=[user])
    return user


@pytest.fixture
def outsider(other_org):
    """A user with full rights in another organization and none in `org`."""
    return _member(other_org, "oscar-outsider", Role.ADMIN)


@pytest.fixture
def role_users(admin, hr, manager, executive, outsider):
    return {
        "admin": admin,
        "hr": hr,
        "manager": manager,
        "executive": executive,
        "outsider": outsider,
    }


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api():
    def _api(user=None):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return _api


# --- metrics set-up shared by metrics and reviews tests --------------------------------


@pytest.fixture
def library(org):
    library_install(org=org)
    return org


@pytest.fixture
def periods(library):
    return periods_generate(org=library, fiscal_year=2026, by=None)


@pytest.fixture
def month(periods):
    """March 2026."""
    return next(p for p in periods if p.kind == "month" and p.number == 3)


@pytest.fixture
def sales_kpis(library, sales, periods):
    template = metric_selectors.template_list(org=library).get(code="sales_standard")
    template_apply(template=template, departments=[sales], by=None)
    return {k.indicator.code: k for k in metric_selectors.kpi_list(org=library, department=sales)}
