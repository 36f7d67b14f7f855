"""What marks periods for recalculation, in the transaction of the change."""

from decimal import Decimal

import pytest

from departments.services import department_update, organization_update
from metrics.models import PendingRecalculation
from metrics.services.kpis import kpi_update
from metrics.services.periods import period_lock, period_reopen

pytestmark = pytest.mark.django_db


def marked(org):
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", flat=True))


def test_target_change_marks_open_periods_only(org, hr, sales_kpis, periods, month):
    period_lock(period=month, by=hr)
    PendingRecalculation.objects.for_org(org).delete()
    kpi_update(kpi=sales_kpis["customer_satisfaction"], by=hr, target=Decimal(92))
    assert marked(org) == {p.pk for p in periods} - {month.pk}


def test_reopen_marks_the_period(org, hr, sales_kpis, month):
    period_lock(period=month, by=hr)
    PendingRecalculation.objects.for_org(org).delete()
    period_reopen(period=month, by=hr, reason="late invoice")
    assert month.pk in marked(org)


@pytest.mark.parametrize("change", ["amber", "tree"])
def test_org_settings_and_tree_changes_mark_open_periods(
    org, hr, sales, sales_kpis, periods, change
):
    PendingRecalculation.objects.for_org(org).delete()
    if change == "amber":
        organization_update(org=org, by=hr, amber_line=Decimal(75))
    else:
        department_update(department=sales, by=hr, weight_in_parent=Decimal(2))
    assert marked(org) == {p.pk for p in periods}


def test_new_request_resets_attempts(org, hr, sales_kpis, month):
    from metrics.services.recalc import recalculation_mark

    recalculation_mark(org=org, periods=[month])
    PendingRecalculation.objects.for_org(org).update(attempts=5, last_error="boom")
    recalculation_mark(org=org, periods=[month])
    row = PendingRecalculation.objects.for_org(org).get(period=month)
    assert (row.attempts, row.last_error) == (0, "")


@pytest.mark.django_db(transaction=True)
def test_one_announcement_per_transaction(org, periods, monkeypatch):
    """However many changes in one transaction mark periods, the job is asked for once."""
    from django.db import transaction

    from metrics.services import recalc
    from metrics.services.recalc import recalculation_mark

    heard = []

    def listener(organization_id, period_ids, **kwargs):
        heard.append((organization_id, period_ids))

    monkeypatch.setattr(recalc, "recalculation_enqueue", listener)
    months = [p for p in periods if p.kind == "month"]
    with transaction.atomic():
        recalculation_mark(org=org, periods=[months[0]])
        recalculation_mark(org=org, periods=[months[5]])
        assert heard == []
    assert len(heard) == 1
    assert {months[0].pk, months[5].pk} <= set(heard[0][1])
    # A rolled-back savepoint drops its callback; the next mark registers a new one.
    with transaction.atomic():
        try:
            with transaction.atomic():
                recalculation_mark(org=org, periods=[months[1]])
                raise RuntimeError
        except RuntimeError:
            pass
        recalculation_mark(org=org, periods=[months[2]])
    assert len(heard) == 2 and months[2].pk in heard[1][1]
