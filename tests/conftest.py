"""The role matrix every view and API test uses: one organization with an admin, HR, a
manager (of Sales), an executive, plus an outsider who belongs only to another org."""

import pytest
from rest_framework.test import APIClient

from departments.models import Role
from metrics import selectors as metric_selectors
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply

from .factories import MembershipFactory, OrganizationFactory, UserFactory, make_department
from .live import point_app_at, processes, redis_server  # noqa: F401 - fixtures

PASSWORD = "pw-for-tests-123"


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
