"""What marks periods for recalculation, at the grain of the change, in the transaction of
the change (README "Recalculation")."""

from decimal import Decimal

import pytest

from departments.services import department_update, organization_update
from metrics.models import PendingRecalculation
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.kpis import kpi_update
from metrics.services.periods import period_lock, period_reopen
from tests.factories import make_department

pytestmark = pytest.mark.django_db


def marked(org):
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", flat=True))


def grain(org):
    """{(period id, department id or None)} marked."""
    return set(PendingRecalculation.objects.for_org(org).values_list("period_id", "department_id"))


def containing(periods, month):
    return {p.pk for p in periods if p.start <= month.start and p.end >= month.end}


def test_a_saved_actual_marks_its_department_in_its_month_quarter_and_year(
    org, hr, sales, sales_kpis, periods, month
):
    make_department(org, code="ops")  # another department: not marked
    PendingRecalculation.objects.for_org(org).delete()
    actuals_save(
        org=org,
        by=hr,
        source="api",
        can_enter=lambda d: True,
        entries=[ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "1500000", note="")],
    )
    expected = {(pid, sales.pk) for pid in containing(periods, month)}
    assert len(expected) == 3  # the month, its quarter, its year
    assert grain(org) == expected


def test_target_change_marks_the_kpis_department_in_open_periods_only(
    org, hr, sales, sales_kpis, periods, month
):
    period_lock(period=month, by=hr)
    PendingRecalculation.objects.for_org(org).delete()
    kpi_update(kpi=sales_kpis["customer_satisfaction"], by=hr, target=Decimal(92))
    assert grain(org) == {(p.pk, sales.pk) for p in periods if p.pk != month.pk}


def test_reopen_marks_the_period(org, hr, sales_kpis, month):
    period_lock(period=month, by=hr)
    PendingRecalculation.objects.for_org(org).delete()
    period_reopen(period=month, by=hr, reason="late invoice")
    assert (month.pk, None) in grain(org)


def test_org_settings_mark_the_whole_organization(org, hr, sales, sales_kpis, periods):
    PendingRecalculation.objects.for_org(org).delete()
    organization_update(org=org, by=hr, amber_line=Decimal(75))
    assert grain(org) == {(p.pk, None) for p in periods}


def test_a_weight_change_marks_the_department_and_its_parent(org, hr, sales, periods):
    top = make_department(org, code="top")
    department_update(department=sales, by=hr, parent=top)
    PendingRecalculation.objects.for_org(org).delete()
    department_update(department=sales, by=hr, weight_in_parent=Decimal(2))
    assert grain(org) == {(p.pk, d) for p in periods for d in (sales.pk, top.pk)}


def test_a_move_marks_the_old_and_the_new_parent(org, hr, sales, periods):
    old, new = make_department(org, code="old"), make_department(org, code="new")
    department_update(department=sales, by=hr, parent=old)
    PendingRecalculation.objects.for_org(org).delete()
    department_update(department=sales, by=hr, parent=new)
    assert {d for _p, d in grain(org)} == {sales.pk, old.pk, new.pk}
    assert marked(org) == {p.pk for p in periods}


def test_new_request_resets_attempts_and_raises_the_version(org, hr, sales_kpis, month):
    from metrics.services.recalc import recalculation_mark

    recalculation_mark(org=org, periods=[month])
    row = PendingRecalculation.objects.for_org(org).get(period=month, department=None)
    PendingRecalculation.objects.for_org(org).update(attempts=5, last_error="boom")
    recalculation_mark(org=org, periods=[month])
    again = PendingRecalculation.objects.for_org(org).get(period=month, department=None)
    assert (again.pk, again.attempts, again.last_error) == (row.pk, 0, "")
    assert again.version == row.version + 1


def test_one_row_per_period_and_department(org, sales, month):
    from metrics.services.recalc import recalculation_mark

    for _ in range(3):
        recalculation_mark(org=org, periods=[month], departments=[sales])
        recalculation_mark(org=org, periods=[month])
    rows = PendingRecalculation.objects.for_org(org).filter(period=month)
    assert sorted(rows.values_list("department_id", "version"), key=str) == sorted(
        [(sales.pk, 3), (None, 3)], key=str
    )


@pytest.mark.django_db(transaction=True)
def test_one_announcement_per_transaction(org, periods, monkeypatch):
    """However many changes in one transaction mark periods, the job is asked for once."""
    from django.db import transaction

    from metrics.services import recalc
    from metrics.services.recalc import recalculation_mark

    heard = []

    def listener(organization_id, *args, **kwargs):
        heard.append(organization_id)

    monkeypatch.setattr(recalc, "recalculation_enqueue", listener)
    months = [p for p in periods if p.kind == "month"]
    with transaction.atomic():
        recalculation_mark(org=org, periods=[months[0]])
        recalculation_mark(org=org, periods=[months[5]])
        assert heard == []
    assert heard == [org.pk]
    # A rolled-back savepoint drops its callback; the next mark registers a new one.
    with transaction.atomic():
        try:
            with transaction.atomic():
                recalculation_mark(org=org, periods=[months[1]])
                raise RuntimeError
        except RuntimeError:
            pass
        recalculation_mark(org=org, periods=[months[2]])
    assert heard == [org.pk, org.pk]
