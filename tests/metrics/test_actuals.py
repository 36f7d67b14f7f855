"""The one write path of actuals: validation, all-or-nothing, versions, locks, roles."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from metrics.models import Actual, ActualChange, PendingRecalculation
from metrics.services.actuals import ActualInput, ActualsRefused, actuals_save
from metrics.services.periods import period_lock

pytestmark = pytest.mark.django_db


def save(org, user, entries, can_enter=lambda d: True, source="web"):
    return actuals_save(org=org, by=user, source=source, entries=entries, can_enter=can_enter)


def test_saves_and_marks_period_and_containing_periods(org, hr, sales_kpis, month, periods):
    kpi = sales_kpis["sales_revenue"]
    result = save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000", ref="a")])
    assert result.created == 1
    actual = Actual.objects.for_org(org).get(kpi=kpi, period=month)
    assert actual.value == Decimal("1700000") and actual.version == 1
    assert actual.department_id == kpi.department_id and actual.entered_by == hr
    marked = set(PendingRecalculation.objects.for_org(org).values_list("period__kind", flat=True))
    assert marked == {"month", "quarter", "year"}


@pytest.mark.parametrize(
    "code,raw,field,fragment",
    [
        ("sales_revenue", "abc", "value", "not a number"),
        ("sales_revenue", "1,5", "value", "point for decimals"),
        ("sales_revenue", "NaN", "value", "finite"),
        ("sales_revenue", "inf", "value", "finite"),
        ("sales_revenue", "1e309", "value", "Too large"),
        ("sales_revenue", "123456789012345678", "value", "Too large"),
        ("sales_revenue", "1.1234567", "value", "decimals"),
        (
            "customer_satisfaction",
            "2000",
            "value",
            "Customer satisfaction must be between 0 and 100",
        ),
        ("new_customers", "-3", "value", "negative"),
        ("new_customers", "2.5", "value", "whole number"),
        ("sales_revenue", "", "value", "Enter a value"),
        ("profit_margin", "12", "value", "computed"),
    ],
)
def test_bad_values_refused_with_message_and_nothing_saved(
    org, hr, sales_kpis, month, code, raw, field, fragment
):
    good = ActualInput(sales_kpis["customer_satisfaction"].pk, month.pk, "92", ref="good")
    bad = ActualInput(sales_kpis[code].pk, month.pk, raw, ref="bad")
    if code == "customer_satisfaction":
        good = ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "1700000", ref="good")
    with pytest.raises(ActualsRefused) as err:
        save(org, hr, [good, bad])
    assert fragment in " ".join(err.value.errors["bad"][field])
    assert "good" not in err.value.errors
    assert Actual.objects.for_org(org).count() == 0


def test_thousands_separators_full_width_and_percent_sign_accepted(org, hr, sales_kpis, month):
    save(
        org,
        hr,
        [
            ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "1,700,000", ref="a"),
            ActualInput(sales_kpis["customer_satisfaction"].pk, month.pk, "９２%", ref="b"),
        ],
    )
    values = dict(Actual.objects.for_org(org).values_list("kpi__indicator__code", "value"))
    assert values == {"sales_revenue": Decimal(1700000), "customer_satisfaction": Decimal(92)}


def test_red_value_needs_a_note_and_message_says_why(org, hr, sales_kpis, month):
    kpi = sales_kpis["customer_satisfaction"]  # target 90, threshold 50: 60 scores 25
    with pytest.raises(ActualsRefused) as err:
        save(org, hr, [ActualInput(kpi.pk, month.pk, "60", ref="r")])
    message = err.value.errors["r"]["note"][0]
    assert "25" in message and "80" in message
    save(org, hr, [ActualInput(kpi.pk, month.pk, "60", note="Server outage in week 2", ref="r")])
    assert Actual.objects.for_org(org).get(kpi=kpi).note == "Server outage in week 2"


def test_stale_version_is_a_conflict_showing_the_other_value(org, hr, admin, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000", ref="a")])
    save(org, admin, [ActualInput(kpi.pk, month.pk, "1800000", version=1, ref="a")])
    with pytest.raises(ActualsRefused) as err:
        save(org, hr, [ActualInput(kpi.pk, month.pk, "1900000", version=1, ref="a")])
    conflict = err.value.conflicts[0]
    assert conflict.their_value == Decimal("1800000") and conflict.by == admin.username
    actual = Actual.objects.for_org(org).get(kpi=kpi)
    assert actual.value == Decimal("1800000") and actual.version == 2


def test_an_equal_value_at_an_old_version_is_unchanged_not_a_conflict(
    org, hr, admin, sales_kpis, month
):
    kpi = sales_kpis["sales_revenue"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000", ref="a")])
    save(org, admin, [ActualInput(kpi.pk, month.pk, "1800000", version=1, ref="a")])
    result = save(org, hr, [ActualInput(kpi.pk, month.pk, "1800000", version=1, ref="a")])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    actual = Actual.objects.for_org(org).get(kpi=kpi)
    assert (actual.version, actual.entered_by_id) == (2, admin.pk)


def test_existing_actual_without_version_is_a_conflict(org, hr, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000")])
    with pytest.raises(ActualsRefused) as err:
        save(org, hr, [ActualInput(kpi.pk, month.pk, "1")])
    assert err.value.only_conflicts


def test_locked_period_refuses_changes(org, hr, sales_kpis, month):
    period_lock(period=month, by=hr)
    month.refresh_from_db()
    with pytest.raises(ActualsRefused) as err:
        save(org, hr, [ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "5", ref="x")])
    assert "locked" in err.value.errors["x"]["period"][0]
    assert Actual.objects.for_org(org).count() == 0


def test_forbidden_department_raises_and_writes_nothing(org, manager, sales_kpis, month):
    with pytest.raises(PermissionDenied):
        save(
            org,
            manager,
            [ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "5")],
            can_enter=lambda d: False,
        )
    assert Actual.objects.for_org(org).count() == 0


def test_other_orgs_kpi_is_unknown(org, other_org, hr, sales_kpis, month):
    from metrics.services.library import library_install
    from metrics.services.periods import periods_generate

    library_install(org=other_org)
    periods_generate(org=other_org, fiscal_year=2026, by=None)
    with pytest.raises(ActualsRefused) as err:
        save(other_org, hr, [ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "5", ref="x")])
    assert err.value.errors["x"]["kpi"] == ["Unknown KPI."]


def test_unchanged_value_is_not_rewritten(org, hr, sales_kpis, month):
    kpi = sales_kpis["sales_revenue"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000")])
    result = save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000.000", version=1)])
    assert result.unchanged == 1 and result.updated == 0
    assert Actual.objects.for_org(org).get(kpi=kpi).version == 1


def test_history_records_every_change_with_who_and_source(org, hr, admin, sales_kpis, month):
    from metrics.selectors import actual_history

    kpi = sales_kpis["sales_revenue"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1700000")])
    save(org, admin, [ActualInput(kpi.pk, month.pk, "1750000", version=1)], source="api")
    assert ActualChange.objects.filter(organization_id=org.pk).count() == 2
    history = actual_history(org=org, kpi=kpi)
    assert [(h.old_value, h.value, h.entered_by, h.source) for h in history] == [
        (Decimal("1700000"), Decimal("1750000"), admin, "api"),
        (None, Decimal("1700000"), hr, "web"),
    ]


def test_formula_components_typed_and_formula_computed_in_grid(org, hr, sales_kpis, month, sales):
    from metrics.selectors import entry_grids

    save(
        org,
        hr,
        [
            ActualInput(sales_kpis["profit"].pk, month.pk, "255000"),
            ActualInput(sales_kpis["sales_revenue"].pk, month.pk, "1700000"),
        ],
    )
    (grid,) = entry_grids(org=org, period=month, department_ids=[sales.pk])
    margin = next(r for r in grid.rows if r.kpi.indicator.code == "profit_margin")
    assert margin.computed == Decimal(15)
    revenue = next(r for r in grid.rows if r.kpi.indicator.code == "sales_revenue")
    assert revenue.target.quantize(Decimal("0.01")) == Decimal("1666666.67")


@pytest.mark.parametrize(
    "note",
    ['He said "done", {ok}', 'C:\\path\\n \\" end\\', "NULL", "", "多行\n备注\t, }{ '"],
)
def test_notes_are_stored_as_typed_by_the_set_based_write(org, hr, sales_kpis, month, note):
    """Notes travel to PostgreSQL inside an array literal: quotes, backslashes, braces,
    commas and the word NULL come back as typed, on insert and on update."""
    kpi = sales_kpis["new_customers"]
    save(org, hr, [ActualInput(kpi.pk, month.pk, "1E+3", note=note, ref="a")])
    actual = Actual.objects.for_org(org).get(kpi=kpi)
    assert (actual.value, actual.note) == (Decimal(1000), note.strip())
    save(org, hr, [ActualInput(kpi.pk, month.pk, "7", note=note + "!", version=1, ref="a")])
    actual = Actual.objects.for_org(org).get(kpi=kpi)
    assert (actual.value, actual.note, actual.version) == (Decimal(7), note.strip() + "!", 2)
    history = ActualChange.objects.filter(pgh_obj_id=actual.pk).order_by("pgh_id")
    assert [(h.pgh_label, h.note, h.version) for h in history] == [
        ("entered", note.strip(), 1),
        ("changed", note.strip() + "!", 2),
    ]
    # Who and from where, as the triggers recorded it (one context row for the save).
    assert {
        (h.pgh_context.metadata["user"], h.pgh_context.metadata["source"]) for h in history
    } == {(hr.pk, "web")}


def test_history_triggers_record_again_after_a_save_in_the_same_transaction(
    org, hr, sales_kpis, month
):
    """actuals_save skips the history triggers for its own two statements only: a later
    write in the same transaction is recorded by them as before."""
    from django.db import transaction

    kpi = sales_kpis["new_customers"]
    with transaction.atomic():
        save(org, hr, [ActualInput(kpi.pk, month.pk, "5", ref="a")])
        actual = Actual.objects.for_org(org).get(kpi=kpi)
        Actual.objects.for_org(org).filter(pk=actual.pk).update(value=6, version=2)
    labels = list(
        ActualChange.objects.filter(pgh_obj_id=actual.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "value")
    )
    assert labels == [("entered", Decimal(5)), ("changed", Decimal(6))]
