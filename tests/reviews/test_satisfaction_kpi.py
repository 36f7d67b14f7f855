"""Every management department has the internal-service-satisfaction KPI (SPEC §2, issue
16 §9): created by hand, switched to the management kind, or given the KPI later, the
ratings it already received become its actuals."""

from decimal import Decimal

from departments.services import department_update
from metrics import selectors
from metrics.models import Actual, Kpi
from metrics.services.kpis import kpi_create
from metrics.services.periods import period_lock
from metrics.services.templates import template_apply
from reviews.services.feedback import SATISFACTION
from tests.factories import give_feedback, make_department


def _satisfaction_kpi(org, department):
    return Kpi.objects.for_org(org).filter(department=department, indicator__code=SATISFACTION)


def test_management_department_created_by_hand_gets_the_kpi(org, support):
    legal = support["legal"]  # created by hand, no template
    kpi = _satisfaction_kpi(org, legal).get()
    assert kpi.weight == 0  # tracked: the department's weights stay as HR set them
    assert kpi.target == kpi.indicator.default_target
    assert not _satisfaction_kpi(org, support["production"]).exists()  # business


def test_department_switched_to_management_gets_the_kpi_and_its_ratings(org, sales, support):
    month = support["month"]
    rnd = make_department(org, code="rnd2", kind="business", function="rnd")
    assert not _satisfaction_kpi(org, rnd).exists()
    department_update(department=rnd, by=None, kind="management")
    assert _satisfaction_kpi(org, rnd).count() == 1
    department_update(department=rnd, by=None, name="Research")  # saved again: still one
    assert _satisfaction_kpi(org, rnd).count() == 1
    give_feedback(org, period=month, rater_department=sales, rated_department=rnd, rating=3)
    actual = Actual.objects.for_org(org).get(kpi__department=rnd, period=month)
    assert actual.value == Decimal(60) and actual.source == "feedback"


def test_adding_the_kpi_turns_ratings_already_given_into_actuals(org, sales, support):
    """Ratings given while the department had no KPI (removed by HR) are filled in when it
    is added again, in open periods; a locked period keeps what it was locked with."""
    legal, months = support["legal"], support["months"]
    _satisfaction_kpi(org, legal).delete()
    give_feedback(org, period=months[0], rater_department=sales, rated_department=legal, rating=2)
    give_feedback(
        org,
        period=months[0],
        rater_department=support["production"],
        rated_department=legal,
        rating=5,
    )
    give_feedback(org, period=months[1], rater_department=sales, rated_department=legal, rating=4)
    period_lock(period=months[1], by=None)
    assert not Actual.objects.for_org(org).filter(department=legal).exists()

    indicator = selectors.indicator_list(org=org).get(code=SATISFACTION)
    kpi = kpi_create(org=org, by=None, department=legal, indicator=indicator, weight=Decimal(0))
    values = dict(Actual.objects.for_org(org).filter(kpi=kpi).values_list("period_id", "value"))
    assert values == {months[0].pk: Decimal(70)}  # (2 + 5) / 2 / 5 × 100; month 2 locked


def test_template_adopts_the_kpi_added_automatically(org, support):
    """A management department created by hand, then given the HR template: the
    automatic KPI takes the template's weight, so the weights add up to 100."""
    people = make_department(org, code="people", kind="management", function="hr")
    assert _satisfaction_kpi(org, people).get().weight == 0
    template = selectors.template_list(org=org).get(code="hr_standard")
    (plan,) = template_apply(template=template, departments=[people], by=None)
    assert [kpi.indicator.code for kpi, _item in plan.adopt] == [SATISFACTION]
    kpi = _satisfaction_kpi(org, people).get()
    assert kpi.weight == 20 and kpi.source_template_id == template.pk
    assert plan.weight_after == 100
    total = sum(k.weight for k in selectors.kpi_list(org=org, department=people) if k.is_active)
    assert total == 100


def test_template_apply_fills_the_ratings_of_a_kpi_it_creates(org, sales, support):
    legal, month = support["legal"], support["month"]
    _satisfaction_kpi(org, legal).delete()
    give_feedback(org, period=month, rater_department=sales, rated_department=legal, rating=5)
    template = selectors.template_list(org=org).get(code="admin_standard")
    template_apply(template=template, departments=[legal], by=None)
    actual = Actual.objects.for_org(org).get(kpi__department=legal, period=month)
    assert actual.value == Decimal(100)
