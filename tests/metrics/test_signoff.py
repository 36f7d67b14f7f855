"""Values that need sign-off (issue 19 §3): pending values count only once confirmed, in
every score, index and goal; who may confirm; re-pending on change; the audit; the e-mails."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Membership, Role
from departments.services import department_update
from metrics import scoring
from metrics.models import Actual, ActualChange, PendingRecalculation, SignOff
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.kpis import kpi_update, kpis_update_grid
from metrics.services.periods import period_lock
from metrics.services.signoff import (
    SignOffRefused,
    actuals_confirm,
    actuals_reject,
    after_entry,
)
from reviews import notifications
from scorecards.models import Goal, OrgScorecard, Scorecard, ScorecardLine
from scorecards.rollup import recalculate
from scorecards.services import goal_save
from tests.factories import UserFactory, make_department

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def finance(org):
    return make_department(org, code="finance", kind="management", function="finance")


@pytest.fixture
def fin_manager(org, finance):
    user = UserFactory(username="fiona-finance", email="fiona@example.com")
    Membership.objects.create(organization=org, user=user, role=Role.MANAGER)
    department_update(department=finance, by=None, managers=[user])
    return user


@pytest.fixture
def revenue(sales_kpis, finance):
    """Sales revenue, confirmed by the finance department's managers."""
    return kpi_update(kpi=sales_kpis["sales_revenue"], by=None, confirm_department=finance)


def member(org, user):
    return Membership.objects.for_org(org).get(user=user)


def enter(org, kpi, period, value, by=None, note="n"):
    actual = Actual.objects.for_org(org).filter(kpi=kpi, period=period).first()
    actuals_save(
        org=org,
        by=by,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(kpi.pk, period.pk, str(value), note, actual and actual.version)],
    )
    return Actual.objects.for_org(org).get(kpi=kpi, period=period)


def run(org, month):
    quarter_and_year = [
        p.pk
        for p in type(month).objects.for_org(org).filter(start__lte=month.start, end__gte=month.end)
    ]
    recalculate(org=org, period_ids=quarter_and_year)


def line(org, kpi, period):
    return ScorecardLine.objects.for_org(org).get(kpi=kpi, period=period)


def test_a_pending_value_counts_nowhere_until_confirmed(
    org, revenue, month, fin_manager, sales, hr
):
    """Left out of the line, the department's score, the organization's indices and a
    goal's progress (roll-up), then counted once confirmed."""
    goal = goal_save(org=org, by=hr, title="Revenue", period=month, links=[(revenue, D(1))])
    actual = enter(org, revenue, month, 100)
    assert actual.status == SignOff.PENDING
    assert actual.counted_value is None
    run(org, month)
    assert line(org, revenue, month).actual is None
    assert line(org, revenue, month).score is None
    assert Goal.objects.for_org(org).get(pk=goal.pk).progress is None
    card_before = Scorecard.objects.for_org(org).get(department=sales, period=month).score
    index_before = OrgScorecard.objects.for_org(org).get(period=month).company_index

    PendingRecalculation.objects.for_org(org).delete()
    actuals_confirm(
        org=org, by=fin_manager, membership=member(org, fin_manager), items=[(actual.pk, 1)]
    )
    # marked in the confirming transaction, at the grain of the department
    marks = set(PendingRecalculation.objects.for_org(org).values_list("period_id", "department_id"))
    assert (month.pk, sales.pk) in marks
    assert {d for _p, d in marks} == {sales.pk}
    run(org, month)
    assert line(org, revenue, month).actual == 100
    assert line(org, revenue, month).score is not None
    assert Goal.objects.for_org(org).get(pk=goal.pk).progress is not None
    card_after = Scorecard.objects.for_org(org).get(department=sales, period=month).score
    index_after = OrgScorecard.objects.for_org(org).get(period=month).company_index
    assert (card_before, index_before) != (card_after, index_after)


def test_a_change_after_confirmation_waits_while_the_confirmed_value_counts(
    org, revenue, month, fin_manager
):
    actual = enter(org, revenue, month, 100)
    actuals_confirm(
        org=org, by=fin_manager, membership=member(org, fin_manager), items=[(actual.pk, 1)]
    )
    changed = enter(org, revenue, month, 130)
    assert (changed.status, changed.value, changed.confirmed_value) == ("pending", 130, 100)
    assert changed.counted_value == 100
    run(org, month)
    assert line(org, revenue, month).actual == 100
    # a note alone changes nothing of the sign-off
    noted = enter(org, revenue, month, 130, note="with the November invoices")
    assert noted.status == SignOff.PENDING and noted.counted_value == 100


def test_reject_needs_a_reason_keeps_what_counted_and_tells_the_enterer_once(
    org, revenue, month, fin_manager, manager
):
    manager.email = "mona@example.com"
    manager.save()
    actual = enter(org, revenue, month, 100, by=manager)
    fm = member(org, fin_manager)
    with pytest.raises(SignOffRefused) as refused:
        actuals_reject(org=org, by=fin_manager, membership=fm, items=[(actual.pk, 1)], reason=" ")
    assert "reason" in refused.value.errors
    assert Actual.objects.for_org(org).get(pk=actual.pk).status == SignOff.PENDING
    mail.outbox.clear()
    actuals_reject(
        org=org, by=fin_manager, membership=fm, items=[(actual.pk, 1)], reason="No invoice"
    )
    rejected = Actual.objects.for_org(org).get(pk=actual.pk)
    assert (rejected.status, rejected.review_reason, rejected.reviewed_by) == (
        "rejected",
        "No invoice",
        fin_manager,
    )
    assert rejected.counted_value is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mona@example.com"]
    assert "No invoice" in mail.outbox[0].body
    # the same rejection is never told twice
    assert notifications.values_rejected(org=org, actual_ids=[actual.pk]) == 0
    # corrected, it waits again; rejected again, it is told again
    again = enter(org, revenue, month, 110, by=manager)
    assert again.status == SignOff.PENDING and again.review_reason == ""
    actuals_reject(
        org=org, by=fin_manager, membership=fm, items=[(again.pk, again.version)], reason="Still"
    )
    assert len(mail.outbox) == 2


def test_everything_is_in_the_history(org, revenue, month, fin_manager, manager):
    actual = enter(org, revenue, month, 100, by=manager)
    fm = member(org, fin_manager)
    actuals_reject(org=org, by=fin_manager, membership=fm, items=[(actual.pk, 1)], reason="Why")
    actual = enter(org, revenue, month, 120, by=manager)
    actuals_confirm(org=org, by=fin_manager, membership=fm, items=[(actual.pk, actual.version)])
    rows = list(
        ActualChange.objects.filter(organization_id=org.pk, pgh_obj_id=actual.pk)
        .order_by("pgh_id")
        .values_list("status", "value", "entered_by", "reviewed_by", "review_reason")
    )
    assert rows == [
        ("pending", D(100), manager.pk, None, ""),
        ("rejected", D(100), manager.pk, fin_manager.pk, "Why"),
        ("pending", D(120), manager.pk, None, ""),
        ("confirmed", D(120), manager.pk, fin_manager.pk, ""),
    ]


@pytest.mark.parametrize(
    "confirmer,who,allowed",
    [
        ("role:hr", "hr", True),
        ("role:hr", "admin", True),
        ("role:hr", "executive", False),
        ("role:hr", "manager", False),
        ("role:executive", "executive", True),
        ("role:executive", "hr", False),
        ("dept:finance", "fin_manager", True),
        ("dept:finance", "manager", False),  # manages sales, not finance
        ("dept:finance", "hr", False),
        ("dept:finance", "admin", True),
        ("dept:sales", "manager", True),  # may confirm the values they entered themselves
    ],
)
def test_who_may_confirm(request, org, sales_kpis, month, finance, confirmer, who, allowed):
    kind, _c, key = confirmer.partition(":")
    department = {"finance": finance, "sales": sales_kpis["sales_revenue"].department}
    kpi = kpi_update(
        kpi=sales_kpis["sales_revenue"],
        by=None,
        confirm_role=key if kind == "role" else "",
        confirm_department=department[key] if kind == "dept" else None,
    )
    user = request.getfixturevalue(who)
    actual = enter(org, kpi, month, 100, by=user)
    call = {"org": org, "by": user, "membership": member(org, user), "items": [(actual.pk, 1)]}
    if allowed:
        assert actuals_confirm(**call) == 1
    else:
        with pytest.raises(SignOffRefused, match="sign-off refused") as refused:
            actuals_confirm(**call)
        assert "may not confirm" in refused.value.messages[0]
        assert Actual.objects.for_org(org).get(pk=actual.pk).status == SignOff.PENDING


def test_refusals_name_the_value_and_confirm_nothing(org, revenue, month, fin_manager, periods):
    fm = member(org, fin_manager)
    april = next(p for p in periods if p.kind == "month" and p.number == 4)
    first = enter(org, revenue, month, 100)
    second = enter(org, revenue, april, 90)
    cases = [
        ([(first.pk, 2)], "changed since you opened"),
        ([(first.pk, 1), (999_999, 1)], "Unknown value"),
        ([], "Select at least one"),
    ]
    for items, message in cases:
        with pytest.raises(SignOffRefused) as refused:
            actuals_confirm(org=org, by=fin_manager, membership=fm, items=items)
        assert any(message in m for m in refused.value.messages), refused.value.messages
    actuals_confirm(org=org, by=fin_manager, membership=fm, items=[(second.pk, 1)])
    with pytest.raises(SignOffRefused, match="refused") as refused:
        actuals_confirm(org=org, by=fin_manager, membership=fm, items=[(second.pk, 1)])
    assert "no longer awaits" in refused.value.messages[0]
    period_lock(period=month, by=None, reason="closed")
    with pytest.raises(SignOffRefused) as refused:
        actuals_confirm(org=org, by=fin_manager, membership=fm, items=[(first.pk, 1)])
    assert "locked" in refused.value.messages[0]
    assert Actual.objects.for_org(org).get(pk=first.pk).status == SignOff.PENDING


def test_turning_confirmation_on_keeps_what_counted_and_off_releases_what_waits(
    org, sales_kpis, month, finance, sales
):
    kpi = sales_kpis["sales_revenue"]
    before = enter(org, kpi, month, 100)
    assert before.status == SignOff.NONE
    kpi = kpi_update(kpi=kpi, by=None, confirm_department=finance)
    assert Actual.objects.for_org(org).get(pk=before.pk).counted_value == 100
    waiting = enter(org, kpi, month, 150)
    assert (waiting.status, waiting.counted_value) == ("pending", 100)
    PendingRecalculation.objects.for_org(org).delete()
    kpi_update(kpi=kpi, by=None, confirm_department=None)
    released = Actual.objects.for_org(org).get(pk=before.pk)
    assert (released.status, released.counted_value) == ("none", 150)
    marked = set(PendingRecalculation.objects.for_org(org).values_list("department_id", flat=True))
    assert marked == {sales.pk}  # the department's open periods, never the whole organization


def test_the_kpi_grid_refuses_a_confirmer_it_cannot_have(org, sales_kpis, finance):
    kpis = list(sales_kpis.values())
    revenue = sales_kpis["sales_revenue"]
    cases = [
        ({"confirm_role": Role.HR, "confirm_department": finance}, "not both"),
        ({"confirm_role": Role.MANAGER, "confirm_department": None}, "name the department"),
    ]
    for fields, message in cases:
        with pytest.raises(ValidationError) as refused:
            kpis_update_grid(org=org, by=None, rows={revenue.pk: fields}, kpis=kpis)
        assert message in str(refused.value.message_dict[f"{revenue.pk}.confirm_role"])
    computed = next((k for k in kpis if not k.indicator.typed), None)
    if computed is not None:
        with pytest.raises(ValidationError, match="computed"):
            kpi_update(kpi=computed, by=None, confirm_role=Role.HR)


def test_bulk_confirm_costs_the_same_queries_for_2_and_12_values(
    org, revenue, fin_manager, periods
):
    months = [p for p in periods if p.kind == "month"]
    actuals = [enter(org, revenue, m, 100 + n) for n, m in enumerate(months)]
    fm = member(org, fin_manager)
    assert fm.managed_ids  # read once per request, before the confirmation
    counts = []
    for chunk in (actuals[:2], actuals[2:]):
        with CaptureQueriesContext(connection) as queries:
            actuals_confirm(
                org=org, by=fin_manager, membership=fm, items=[(a.pk, 1) for a in chunk]
            )
        counts.append([q["sql"][:40] for q in queries.captured_queries])
    assert len(counts[0]) == len(counts[1]), counts
    assert len(counts[0]) <= 12


def test_confirmers_hear_once_a_day_what_awaits_them(org, revenue, month, fin_manager):
    enter(org, revenue, month, 100)
    mail.outbox.clear()
    day = month.start
    assert notifications.values_to_confirm(org=org, today=day) == 1
    assert notifications.values_to_confirm(org=org, today=day) == 0
    assert mail.outbox[0].to == ["fiona@example.com"]
    assert "1 value awaits" in mail.outbox[0].body


@pytest.mark.parametrize("status", list(scoring.SignOff))
@pytest.mark.parametrize("confirmed", [None, D(7)])
def test_the_counted_column_is_the_reference(org, sales_kpis, month, status, confirmed):
    actual = enter(org, sales_kpis["sales_revenue"], month, 5)
    Actual.objects.for_org(org).filter(pk=actual.pk).update(
        status=status, confirmed_value=confirmed
    )
    got = Actual.objects.for_org(org).get(pk=actual.pk).counted_value
    assert got == scoring.counted_value(D(5), status, confirmed)


class _Stored:
    def __init__(self, value, status, confirmed):
        self.value, self.status, self.confirmed_value = D(value), status, confirmed


@pytest.mark.parametrize(
    "needs,stored,value,expected",
    [
        (True, None, 5, ("pending", None, False, False)),
        (False, None, 5, ("none", None, False, True)),
        (True, _Stored(5, "none", None), 6, ("pending", D(5), False, False)),
        (True, _Stored(5, "confirmed", D(5)), 6, ("pending", D(5), False, False)),
        (True, _Stored(6, "pending", D(5)), 7, ("pending", D(5), False, False)),
        (True, _Stored(6, "pending", None), 7, ("pending", None, False, False)),
        (True, _Stored(6, "rejected", D(5)), 6, ("pending", D(5), False, False)),
        (True, _Stored(5, "confirmed", D(5)), 5, ("confirmed", D(5), True, False)),
        (False, _Stored(6, "pending", D(5)), 6, ("none", D(5), False, True)),
    ],
)
def test_after_entry(needs, stored, value, expected):
    got = after_entry(needs_confirmation=needs, stored=stored, value=D(value))
    assert (got.status, got.confirmed, got.keeps_review, got.changes_score) == expected
