"""From a saved value to the dashboard, by name: every service whose write can change a
stored score marks periods for recalculation, every service that changes what the company
dashboard shows renews its version token, and no app of ours listens to another app's
model saves (CONTRIBUTING.md, "From a saved value to the dashboard")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from departments.models import Membership
from departments.services import department_create, department_update, organization_update
from metrics import selectors as metric_selectors
from metrics.models import Actual, PendingRecalculation
from metrics.services import recalc
from metrics.services.actuals import ActualInput, actuals_save, computed_actual_set
from metrics.services.indicators import indicator_create, indicator_update
from metrics.services.kpis import kpi_create, kpi_update, kpis_update_grid
from metrics.services.periods import period_lock, period_reopen, periods_generate
from metrics.services.signoff import actuals_confirm, actuals_reject
from metrics.services.templates import template_apply
from scorecards import dashboard_cache, rollup
from scorecards.models import ScorecardLine
from scorecards.services import action_create, goal_save

pytestmark = pytest.mark.django_db


def _kpi(org, code):
    return metric_selectors.kpi_list(org=org).get(indicator__code=code)


def _indicator(org, code):
    return metric_selectors.indicator_list(org=org).get(code=code)


def _month(org, number=3):
    return metric_selectors.period_list(org=org).get(kind="month", number=number)


def _action(org, by):
    """An action on Sales' revenue line of March, made red here (lines are the roll-up's
    rows: written directly for the test)."""
    kpi, month = _kpi(org, "sales_revenue"), _month(org)
    ScorecardLine.objects.create(
        organization=org,
        period=month,
        department=kpi.department,
        kpi=kpi,
        weight=Decimal(1),
        status="red",
        computed_at=timezone.now(),
    )
    return action_create(
        org=org,
        membership=Membership.objects.for_org(org).get(user=by),
        title="Call the customers",
        owner=by,
        due_date=timezone.localdate() + dt.timedelta(days=7),
        kpi=kpi,
        period=month,
    )


def _pending(org, by):
    """A value of sales revenue awaiting HR's confirmation: (id, version), HR's membership."""
    kpi = kpi_update(kpi=_kpi(org, "sales_revenue"), by=by, confirm_role="hr")
    actuals_save(
        org=org,
        by=by,
        source="web",
        entries=[ActualInput(kpi.pk, _month(org).pk, "1700000")],
        can_enter=lambda d: True,
    )
    actual = Actual.objects.for_org(org).get(kpi=kpi, period=_month(org))
    PendingRecalculation.objects.for_org(org).delete()
    membership = Membership.objects.for_org(org).get(user=by)
    return [(actual.pk, actual.version)], membership


def _sign_off(org, by, service, **extra):
    items, membership = _pending(org, by)
    return service(org=org, by=by, membership=membership, items=items, **extra)


# name -> the write, given the organization (with the sales template applied to "sales"),
# and the user. Each is a service the pages, API and imports call.
WRITES = {
    "actuals_save": lambda org, by: actuals_save(
        org=org,
        by=by,
        source="web",
        entries=[ActualInput(_kpi(org, "sales_revenue").pk, _month(org).pk, "1700000")],
        can_enter=lambda d: True,
    ),
    "computed_actual_set": lambda org, by: computed_actual_set(
        org=org,
        kpi=_kpi(org, "sales_revenue"),
        period=_month(org),
        value=Decimal(5),
        source="feedback",
    ),
    "kpi_create": lambda org, by: kpi_create(
        org=org,
        by=by,
        department=_kpi(org, "sales_revenue").department,
        indicator=_indicator(org, "turnover_rate"),
        weight=Decimal(5),
        target=Decimal(10),
    ),
    "kpi_update": lambda org, by: kpi_update(
        kpi=_kpi(org, "sales_revenue"), by=by, target=Decimal(2000000)
    ),
    "kpis_update_grid": lambda org, by: kpis_update_grid(
        org=org,
        by=by,
        rows={_kpi(org, "sales_revenue").pk: {"weight": Decimal(31)}},
        kpis=[_kpi(org, "sales_revenue")],
    ),
    "template_apply": lambda org, by: template_apply(
        template=metric_selectors.template_list(org=org).get(code="hr_standard"),
        departments=[_kpi(org, "sales_revenue").department],
        by=by,
    ),
    "indicator_update": lambda org, by: indicator_update(
        indicator=_indicator(org, "sales_revenue"), by=by, aggregation="last"
    ),
    "period_reopen": lambda org, by: period_reopen(
        period=period_lock(period=_month(org), by=by), by=by, reason="late invoice"
    ),
    "organization_update": lambda org, by: organization_update(
        org=org, by=by, amber_line=Decimal(75)
    ),
    "department_create": lambda org, by: department_create(
        org=org, by=by, name="Support", code="support", kind="business", function="sales"
    ),
    "department_update": lambda org, by: department_update(
        department=_kpi(org, "sales_revenue").department, by=by, weight_in_parent=Decimal(2)
    ),
    "goal_save": lambda org, by: goal_save(
        org=org,
        by=by,
        title="Grow",
        period=_month(org),
        links=[(_kpi(org, "sales_revenue"), Decimal(1))],
    ),
    "indicator_create": lambda org, by: indicator_create(
        org=org,
        by=by,
        code="visits",
        name="Visits",
        unit="count",
        direction="higher_is_better",
        aggregation="sum",
        frequency="month",
    ),
    "periods_generate": lambda org, by: periods_generate(org=org, fiscal_year=2027, by=by),
    "period_lock": lambda org, by: period_lock(period=_month(org), by=by),
    "actuals_confirm": lambda org, by: _sign_off(org, by, actuals_confirm),
    "actuals_reject": lambda org, by: _sign_off(org, by, actuals_reject, reason="no invoice"),
    "rollup": lambda org, by: rollup.recalculate(
        org=org, period_ids=[_month(org).pk], started=timezone.now()
    ),
    "action_create": _action,  # action_update: tests/scorecards/test_actions.py
}

# Writes that can change a stored score: each marks the periods it affects.
MARKS = [
    "actuals_save",
    "computed_actual_set",
    "kpi_create",
    "kpi_update",
    "kpis_update_grid",
    "template_apply",
    "indicator_update",
    "period_reopen",
    "organization_update",
    "department_create",
    "department_update",
    "goal_save",
    "actuals_confirm",
]

# Writes that change what the company dashboard shows: each renews its version token.
RENEWS = [
    "kpi_create",
    "kpi_update",
    "kpis_update_grid",
    "template_apply",
    "indicator_create",
    "indicator_update",
    "periods_generate",
    "period_lock",
    "period_reopen",
    "organization_update",
    "department_create",
    "department_update",
    "rollup",
    "action_create",
]


@pytest.fixture
def published(monkeypatch):
    """Nothing reaches a broker (the after-commit publish: test_recalc_marks)."""
    monkeypatch.setattr(recalc, "recalculation_enqueue", lambda *a, **k: True)


@pytest.fixture
def eager():
    """Set the Celery app's task_always_eager for one test."""
    from perfhub.celery import app

    saved = app.conf.task_always_eager

    def _set(flag: bool):
        app.conf.task_always_eager = flag

    yield _set
    app.conf.task_always_eager = saved


@pytest.mark.parametrize("write", MARKS)
def test_each_score_affecting_service_marks(
    write, org, hr, sales_kpis, published, django_capture_on_commit_callbacks
):
    PendingRecalculation.objects.for_org(org).delete()
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write](org, hr)
    assert PendingRecalculation.objects.for_org(org).exists(), f"{write} marked nothing"


@pytest.mark.parametrize("write", RENEWS)
def test_each_dashboard_affecting_service_renews_its_token(
    write, org, hr, sales_kpis, published, django_capture_on_commit_callbacks
):
    before = dashboard_cache.version(org.pk)
    with django_capture_on_commit_callbacks(execute=True):
        WRITES[write](org, hr)
    assert dashboard_cache.version(org.pk) != before, f"{write} left the dashboard's token"


def test_a_token_is_renewed_only_when_the_write_commits(org, hr, sales_kpis, published):
    from django.db import transaction

    before = dashboard_cache.version(org.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        WRITES["kpi_update"](org, hr)
        raise RuntimeError
    assert dashboard_cache.version(org.pk) == before


def test_the_task_metrics_publishes_by_name_is_the_recalculation_job():
    from perfhub.celery import app
    from scorecards.tasks import recalculate

    assert app.tasks[recalc.RECALCULATE_TASK] is recalculate._get_current_object()


def test_without_a_broker_the_job_runs_in_process(org, eager, monkeypatch):
    """REDIS_URL empty (CELERY_TASK_ALWAYS_EAGER): send_task would ignore it, the hook
    applies the registered task here, as apply_async did."""
    from perfhub.celery import app
    from scorecards import tasks

    ran = []
    eager(True)
    monkeypatch.setattr(
        tasks.recalculate, "apply", lambda kwargs=None, **k: ran.append(kwargs), raising=False
    )
    monkeypatch.setattr(app, "send_task", lambda *a, **k: pytest.fail("published to a broker"))
    assert recalc.recalculation_enqueue(org.pk)
    assert ran == [{"organization_id": org.pk, "run_id": None}]


def test_a_broker_that_is_down_is_logged_and_never_raises(org, eager, monkeypatch, caplog):
    from perfhub.celery import app

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    eager(False)
    monkeypatch.setattr(app, "send_task", down)
    assert recalc.recalculation_enqueue(org.pk, [1]) is False
    assert "could not enqueue recalculation" in caplog.text


def test_a_broker_publish_names_the_task_without_retrying(org, eager, monkeypatch):
    from perfhub.celery import app

    sent = []
    eager(False)
    monkeypatch.setattr(app, "send_task", lambda name, **k: sent.append((name, k)))
    assert recalc.recalculation_enqueue(org.pk, run_id=7)
    assert sent == [
        (
            "reviews.recalculate",
            {
                "kwargs": {"organization_id": org.pk, "run_id": 7},
                "retry": False,
            },
        )
    ]


def test_no_app_of_ours_listens_to_another_apps_model_saves():
    """A save reaches the dashboard and the jobs through calls a reader can follow, never
    through a receiver of post_save/post_delete connected to another app's model."""
    import weakref
    from pathlib import Path

    from django.apps import apps
    from django.conf import settings

    ours = {
        c.name
        for c in apps.get_app_configs()
        if Path(c.path).resolve().is_relative_to(Path(settings.BASE_DIR).resolve())
        and ".venv" not in Path(c.path).parts
    }
    assert {"departments", "metrics", "scorecards", "reviews"} <= ours
    models = {id(m): m for m in apps.get_models()}
    found = []
    for signal in (post_save, post_delete):
        for (_key, sender_id), receiver, *_ in signal.receivers:
            func = receiver() if isinstance(receiver, weakref.ReferenceType) else receiver
            owner = (getattr(func, "__module__", None) or "").split(".")[0]
            model = models.get(sender_id)
            if owner in ours and (model is None or model._meta.app_config.name != owner):
                found.append(f"{owner}: {getattr(func, '__qualname__', func)} on {model}")
    assert found == []


def test_without_a_broker_the_marked_periods_are_recalculated_at_once(org, hr, sales_kpis, eager):
    """`make run` without REDIS_URL: the after-commit publish runs the roll-up here."""
    from scorecards.models import OrgScorecard

    WRITES["actuals_save"](org, hr)
    eager(True)
    assert recalc.recalculation_enqueue(org.pk)
    assert not PendingRecalculation.objects.for_org(org).exists()
    assert OrgScorecard.objects.for_org(org).filter(period=_month(org)).exists()
