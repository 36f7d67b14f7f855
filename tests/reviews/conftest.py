"""The scorecards tests' organization, KPIs and actuals, shared with the reviews tests."""

import pytest  # noqa: E402
from django.db import connection  # noqa: E402

from tests.scorecards.conftest import *  # noqa: F403


@pytest.fixture
def as_owner(transactional_db, django_db_modify_db_settings):
    """The test logged in as the database's owner, for a data-migration test that goes back
    to an older migration (unapplying later ones runs DDL only the owner may run: the
    feedback criteria's migrations re-add and drop columns and tables). Committed, not
    rolled back: afterwards every migration is applied again, row-level security, grants
    and keys are installed again on the tables re-created (perfhub.rls.install), and the
    test role may empty them, as after the session's own migrate."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.migrations.executor import MigrationExecutor

    from perfhub import rls
    from tests import dbroles

    owner, app = django_db_modify_db_settings
    test = dbroles.test_login(app)
    dbroles.log_in_as(owner)
    try:
        yield
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        rls.install()
        with connection.cursor() as cursor:
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{test["USER"]}"')
        dbroles.log_in_as(test)
