"""Cross-department feedback on several criteria, both ways (issue 19 §4): the rules of one
feedback (a table), the computed KPIs (satisfaction, the optional cooperation KPI), who
rated stored and shown by the anonymity rule in pages and API for every role, the page's
grid and the API, isolation and query counts."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from departments.models import Membership, Role
from departments.services import department_update, organization_update
from metrics.models import Actual, Kpi
from metrics.services.periods import period_lock
from reviews.models import Feedback, FeedbackCriterion, FeedbackRating
from reviews.selectors import feedback_rater_hidden
from reviews.services.criteria import criteria_asked, feedback_criteria
from reviews.services.feedback import Rated, feedback_save
from scorecards.models import ScorecardLine
from scorecards.rollup import recalculate
from tests.factories import UserFactory, give_feedback, make_department

pytestmark = pytest.mark.django_db


def _actual(org, department, period, code="internal_service_satisfaction"):
    return (
        Actual.objects.for_org(org)
        .filter(department=department, period=period, kpi__indicator__code=code)
        .first()
    )


def _criteria(org, direction="support"):
    return criteria_asked(feedback_criteria(org=org), direction)


def _ratings(org, *values, direction="support"):
    return [
        Rated(criterion=c.pk, rating=v)
        for c, v in zip(_criteria(org, direction), values, strict=True)
    ]


@pytest.fixture
def hr_head(org, support):
    """The manager of the HR department (a management department), its only manager."""
    user = UserFactory(username="hana-head", first_name="Hana", last_name="Head")
    Membership.objects.create(organization=org, user=user, role=Role.MANAGER)
    department_update(department=support["hr_dept"], by=None, managers=[user])
    return user


# --- the criteria every organization starts with --------------------------------------------


def test_default_criteria_are_written_once_in_the_organizations_language(org, other_org):
    org.language = "zh-hans"
    names = [(c.name, c.name_en, c.applies_to, c.position) for c in feedback_criteria(org=org)]
    assert names == [
        ("响应速度", "Responsiveness", "support", 1),
        ("质量", "Quality", "support", 2),
        ("协作", "Cooperation", "both", 3),
    ]
    assert len(feedback_criteria(org=org)) == 3  # not twice
    assert FeedbackCriterion.objects.for_org(other_org).count() == 0  # until it needs them


def test_a_new_organization_gets_the_criteria_when_created(db):
    from departments.services import organization_create
    from perfhub import tenancy

    org = organization_create(
        name="New", slug="new-co", by=UserFactory(username="founder"), language="en"
    )
    with tenancy.org_atomic(org):
        names = list(FeedbackCriterion.objects.for_org(org).values_list("name", flat=True))
    assert names == ["Responsiveness", "Quality", "Cooperation"]


# --- one feedback: the rules, as a table ----------------------------------------------------


def _case(org, support, sales, case):
    """Keyword arguments of feedback_save for a named case of the table."""
    hr_dept, month = support["hr_dept"], support["month"]
    support_ids = [c.pk for c in _criteria(org)]
    args = {
        "org": org,
        "period": month,
        "rater_department": sales,
        "rated_department": hr_dept,
        "ratings": _ratings(org, 4, 4, 4),
    }
    if case == "ok":
        pass
    elif case.startswith("rating="):
        value = eval(case.removeprefix("rating="))  # noqa: S307 - the table's own literals
        args["ratings"] = _ratings(org, 4, value, 4)
    elif case == "missing":
        args["ratings"] = _ratings(org, 4, 4, 4)[:2]
    elif case == "none":
        args["ratings"] = []
    elif case == "unknown":
        args["ratings"] = [*_ratings(org, 4, 4, 4), Rated(criterion=999999, rating=3)]
    elif case == "not an id":
        args["ratings"] = [*_ratings(org, 4, 4, 4), Rated(criterion="x", rating=3)]  # type: ignore[arg-type]
    elif case == "twice":
        args["ratings"] = [*_ratings(org, 4, 4, 4), Rated(criterion=support_ids[0], rating=3)]
    elif case == "inactive":
        extra = FeedbackCriterion.objects.create(organization=org, name="Old", is_active=False)
        args["ratings"] = [*_ratings(org, 4, 4, 4), Rated(criterion=extra.pk, rating=3)]
    elif case == "wrong direction":
        extra = FeedbackCriterion.objects.create(
            organization=org, name="Punctual", applies_to="cooperation"
        )
        args["ratings"] = [*_ratings(org, 4, 4, 4), Rated(criterion=extra.pk, rating=3)]
    elif case == "control characters":
        args["ratings"] = [Rated(criterion=support_ids[0], rating=4, comment="a\x00b")] + (
            _ratings(org, 4, 4, 4)[1:]
        )
    elif case == "long comment":
        args["comment"] = "x" * 2001
    elif case == "same kind":
        args["rated_department"] = support["production"]
    elif case == "inactive department":
        department_update(department=hr_dept, by=None, is_active=False)
    elif case == "quarter":
        args["period"] = support["quarter"]
    elif case == "locked":
        period_lock(period=month, by=None, reason="")
        month.refresh_from_db()
    else:
        raise AssertionError(case)
    return args


@pytest.mark.parametrize(
    "case,field,words",
    [
        ("ok", None, None),
        ("rating=0", "ratings", "choose a rating from 1 to 5"),
        ("rating=6", "ratings", "choose a rating from 1 to 5"),
        ("rating=None", "ratings", "choose a rating from 1 to 5"),
        ("rating='4'", "ratings", "choose a rating from 1 to 5"),
        ("rating=True", "ratings", "choose a rating from 1 to 5"),
        ("rating=3.5", "ratings", "choose a rating from 1 to 5"),
        ("missing", "ratings", "Rate every criterion: Cooperation missing"),
        ("none", "ratings", "Responsiveness, Quality, Cooperation missing"),
        ("unknown", "ratings", "Unknown criterion: 999999"),
        ("not an id", "ratings", "Unknown criterion: x"),
        ("twice", "ratings", "“Responsiveness” is rated twice"),
        ("inactive", "ratings", "“Old” is no longer rated"),
        ("wrong direction", "ratings", "“Punctual” is not asked in this direction"),
        ("control characters", "ratings", "invisible control characters"),
        ("long comment", "comment", "At most 2000 characters"),
        ("same kind", "rated_department", "not a department of the same kind"),
        ("inactive department", "rated_department", "inactive"),
        ("quarter", "period", "choose a month"),
        ("locked", "period", "locked"),
    ],
)
def test_feedback_rules(org, sales, support, case, field, words):
    with settings_language("en"):
        args = _case(org, support, sales, case)
        if field is None:
            feedback = feedback_save(**args)
            assert [r.rating for r in feedback.ratings.all()] == [4, 4, 4]
            return
        with pytest.raises(ValidationError) as refused:
            feedback_save(**args)
    assert field in refused.value.message_dict, refused.value.message_dict
    assert words in " ".join(refused.value.message_dict[field])
    assert not Feedback.objects.for_org(org).exists()
    assert not FeedbackRating.objects.for_org(org).exists()


def settings_language(code):
    from django.utils import translation

    return translation.override(code)


def test_another_organizations_criterion_is_unknown(org, other_org, sales, support):
    theirs = feedback_criteria(org=other_org)[0]
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            **{
                **_case(org, support, sales, "ok"),
                "ratings": [*_ratings(org, 4, 4, 4), Rated(criterion=theirs.pk, rating=1)],
            }
        )
    assert f"Unknown criterion: {theirs.pk}" in refused.value.message_dict["ratings"][0]


def test_one_feedback_per_pair_and_period_replaced_until_lock(org, sales, support, manager):
    month, hr_dept = support["month"], support["hr_dept"]
    first = feedback_save(
        **{**_case(org, support, sales, "ok"), "ratings": _ratings(org, 2, 2, 2)}, by=manager
    )
    second = feedback_save(
        **{**_case(org, support, sales, "ok"), "ratings": _ratings(org, 5, 5, 4)}, by=manager
    )
    assert first.pk == second.pk and second.rated_by == manager
    assert Feedback.objects.for_org(org).count() == 1
    assert FeedbackRating.objects.for_org(org).count() == 3
    assert _actual(org, hr_dept, month).value == Decimal("93.3333")  # 14/3 / 5 × 100
    assert _actual(org, hr_dept, month).version == 2
    period_lock(period=month, by=None, reason="")
    month.refresh_from_db()
    with pytest.raises(ValidationError):
        feedback_save(**_case(org, support, sales, "ok"))
    assert [r.rating for r in Feedback.objects.for_org(org).get().ratings.all()] == [5, 5, 4]


# --- the computed KPIs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "given,expected",
    [
        # one feedback per row: (rater code, [ratings by criterion]); each rater's average
        # over criteria, then the mean over raters, ÷ 5 × 100
        ([("sales", [4, 4, 4])], "80"),
        ([("sales", [5, 4, 3])], "80"),
        ([("sales", [5, 5, 4])], "93.3333"),
        ([("sales", [4, 4, 4]), ("production", [5, 5, 5])], "90"),
        ([("sales", [1, 2, 2]), ("production", [3, 3, 3])], "46.6667"),  # (5/3 + 3) / 2
        ([("sales", [1, 1, 1])], "20"),
    ],
)
def test_satisfaction_is_the_average_over_criteria_over_5_times_100(
    org, sales, support, given, expected
):
    month, hr_dept = support["month"], support["hr_dept"]
    raters = {"sales": sales, "production": support["production"]}
    for code, values in given:
        feedback_save(
            org=org,
            period=month,
            rater_department=raters[code],
            rated_department=hr_dept,
            ratings=_ratings(org, *values),
        )
    actual = _actual(org, hr_dept, month)
    assert actual.value == Decimal(expected) and actual.source == "feedback"


def test_feedback_flows_into_the_scorecard(org, sales, support):
    month, hr_dept = support["month"], support["hr_dept"]
    give_feedback(org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    give_feedback(
        org,
        period=month,
        rater_department=support["production"],
        rated_department=hr_dept,
        rating=5,
        comment="Quick hiring.",
    )
    actual = _actual(org, hr_dept, month)
    assert actual.value == Decimal(90) and actual.entered_by is None
    recalculate(org=org, period_ids=[p.pk for p in support["periods"]])
    line = ScorecardLine.objects.for_org(org).get(department=hr_dept, period=month, kpi=actual.kpi)
    assert line.actual == Decimal(90) and line.status == "green"


def test_management_rates_business_cooperation_and_the_kpi_is_off_by_default(
    org, sales, support, hr_head
):
    month, hr_dept = support["month"], support["hr_dept"]
    assert not org.feedback_cooperation_kpi
    feedback = feedback_save(
        org=org,
        period=month,
        rater_department=hr_dept,
        rated_department=sales,
        ratings=_ratings(org, 3, direction="cooperation"),
        by=hr_head,
    )
    assert feedback.direction == "cooperation"
    assert [r.criterion.name_en for r in feedback.ratings.all()] == ["Cooperation"]
    assert not Kpi.objects.for_org(org).filter(indicator__code="cooperation").exists()
    assert _actual(org, sales, month, "cooperation") is None
    # A support criterion is not asked the other way round.
    with pytest.raises(ValidationError) as refused:
        feedback_save(
            org=org,
            period=month,
            rater_department=hr_dept,
            rated_department=sales,
            ratings=[*_ratings(org, 3, direction="cooperation"), *_ratings(org, 4, 4, 4)[:1]],
        )
    assert "not asked in this direction" in refused.value.message_dict["ratings"][0]


def test_the_cooperation_kpi_follows_the_setting(org, sales, support, hr_head):
    month, hr_dept, legal = support["month"], support["hr_dept"], support["legal"]
    for rater, value in ((hr_dept, 3), (legal, 5)):
        feedback_save(
            org=org,
            period=month,
            rater_department=rater,
            rated_department=sales,
            ratings=_ratings(org, value, direction="cooperation"),
        )
    organization_update(org=org, by=None, feedback_cooperation_kpi=True)
    kpis = Kpi.objects.for_org(org).filter(indicator__code="cooperation")
    assert {k.department.code for k in kpis} == {"sales", "production"}  # business only
    assert {(k.weight, k.is_active) for k in kpis} == {(Decimal(0), True)}
    assert _actual(org, sales, month, "cooperation").value == Decimal(80)  # 4 / 5 × 100
    assert _actual(org, hr_dept, month) is None  # support is apart
    organization_update(org=org, by=None, feedback_cooperation_kpi=False)
    assert not kpis.filter(is_active=True).exists()
    organization_update(org=org, by=None, feedback_cooperation_kpi=True)
    assert kpis.filter(is_active=True).count() == 2


# --- anonymity: who rated -----------------------------------------------------------------


def test_rated_by_is_hidden_from_the_rated_department_unless_the_organization_says(
    org, sales, support, manager, hr, admin, executive, hr_head, member_of
):
    feedback = give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=4,
        by=manager,
    )
    hidden = {
        who: feedback_rater_hidden(org, member_of(user), feedback)
        for who, user in {
            "hr": hr,
            "admin": admin,
            "rater": manager,
            "rated": hr_head,
            "executive": executive,
        }.items()
    }
    assert hidden == {
        "hr": False,
        "admin": False,
        "rater": False,
        "rated": True,
        "executive": True,
    }
    org.feedback_anonymous = False
    assert not feedback_rater_hidden(org, member_of(hr_head), feedback)


def _feedback_page(client, org, support, language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(f"/o/{org.slug}/feedback/?period={support['month'].pk}")


@pytest.mark.parametrize(
    "who,anonymous,sees_name,sees_department",
    [
        ("hr", True, True, True),
        ("admin", True, True, True),
        ("rated", True, False, False),  # Sales has one manager: its name would say who
        ("executive", True, False, False),
        ("rated", False, True, True),
        ("executive", False, True, True),
    ],
)
def test_received_feedback_page_applies_anonymity_per_role(
    login, org, sales, support, manager, hr, admin, executive, hr_head,
    who, anonymous, sees_name, sees_department,
):  # fmt: skip
    organization_update(org=org, by=None, feedback_anonymous=anonymous)
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=3,
        comment="Slow answers",
        by=manager,
    )
    user = {"hr": hr, "admin": admin, "rated": hr_head, "executive": executive}[who]
    page = _feedback_page(login(user), org, support)
    text = page.content.decode()
    card = text[text.index(f'data-received="{support["hr_dept"].pk}"') :]
    assert "Slow answers" in card
    assert ("(rated by mona-manager)" in card) == sees_name
    assert (f"<strong>{sales.display_name}</strong>" in card) == sees_department
    assert ("A business department" in card) == (not sees_department)
    assert ("You see who gave each feedback because you are HR" in text) == (who in ("hr", "admin"))


def test_a_department_with_several_managers_is_shown_while_its_rater_is_not(
    login, org, sales, support, manager, hr_head
):
    second = UserFactory(username="sam-second")
    Membership.objects.create(organization=org, user=second, role=Role.MANAGER)
    department_update(department=sales, by=None, managers=[manager, second])
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=3,
        by=manager,
    )
    text = _feedback_page(login(hr_head), org, support).content.decode()
    assert f"<strong>{sales.display_name}</strong>" in text and "(rated by" not in text


def test_hr_page_in_chinese_says_it_sees_raters(login, org, sales, support, hr, manager):
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=3,
        by=manager,
    )
    page = _feedback_page(login(hr), org, support, "zh-hans")
    assert page.status_code == 200 and '<html lang="zh-hans"' in page.content.decode()
    assert "data-raters-notice" in page.content.decode()


# --- the page: the grid both ways ----------------------------------------------------------


def _grid_post(org, rater, rated, values, comments=(), overall=""):
    criteria = [
        c
        for c in feedback_criteria(org=org)
        if c.is_active and c.asked_on("support" if rater.kind == "business" else "cooperation")
    ]
    data = {}
    for i, c in enumerate(criteria):
        data[f"rating-{rater.pk}-{rated.pk}-{c.pk}"] = values[i] if i < len(values) else ""
        data[f"comment-{rater.pk}-{rated.pk}-{c.pk}"] = comments[i] if i < len(comments) else ""
    data[f"comment-{rater.pk}-{rated.pk}"] = overall
    return data


def test_feedback_page_saves_all_or_nothing(login, org, sales, support, manager):
    month, hr_dept, legal = support["month"], support["hr_dept"], support["legal"]
    client = login(manager)
    url = f"/o/{org.slug}/feedback/?period={month.pk}"
    page = client.get(url)
    assert page.status_code == 200
    for c in _criteria(org):
        assert f'name="rating-{sales.pk}-{hr_dept.pk}-{c.pk}"' in page.content.decode()
    refused = client.post(
        url,
        {
            **_grid_post(org, sales, hr_dept, ["4", "4", "5"]),
            **_grid_post(org, sales, legal, ["", "", ""], overall="A comment without a rating"),
        },
    )
    assert refused.status_code == 200
    assert not Feedback.objects.for_org(org).exists()
    answer = client.post(
        url,
        {
            **_grid_post(org, sales, hr_dept, ["4", "3", "5"], ["Quick", "", ""], "Helpful"),
            **_grid_post(org, sales, legal, []),
        },
    )
    assert answer.status_code == 302
    saved = Feedback.objects.for_org(org).get()
    assert [(r.rating, r.comment) for r in saved.ratings.all()] == [
        (4, "Quick"),
        (3, ""),
        (5, ""),
    ]
    assert (saved.comment, saved.rated_by, saved.direction) == ("Helpful", manager, "support")
    # Clearing every cell removes the feedback.
    client.post(url, _grid_post(org, sales, hr_dept, []))
    assert not Feedback.objects.for_org(org).exists()


def test_a_management_manager_rates_cooperation_on_the_page(login, org, sales, support, hr_head):
    month, hr_dept = support["month"], support["hr_dept"]
    client = login(hr_head)
    url = f"/o/{org.slug}/feedback/?period={month.pk}"
    page = client.get(url)
    text = page.content.decode()
    assert 'data-direction="cooperation"' in text and 'data-direction="support"' not in text
    assert "rates the cooperation of the business departments" in text or "协作" in text
    answer = client.post(url, _grid_post(org, hr_dept, sales, ["2"], ["Late figures"]))
    assert answer.status_code == 302
    saved = Feedback.objects.for_org(org).get()
    assert (saved.direction, saved.rated_department) == ("cooperation", sales)
    # Sales' manager sees it received, without the name of HR's head.
    text = _feedback_page(login_as(client, org, sales), org, support).content.decode()
    assert "Late figures" in text and "Hana" not in text


def login_as(client, org, department):
    client.force_login(department.managers.first())
    return client


def test_feedback_page_errors_name_the_criterion(login, org, sales, support, manager):
    month, hr_dept = support["month"], support["hr_dept"]
    client = login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.post(
        f"/o/{org.slug}/feedback/?period={month.pk}",
        _grid_post(org, sales, hr_dept, ["4", "", "x"], ["", "a\x00b", ""]),
    )
    text = page.content.decode()
    assert page.status_code == 200 and not Feedback.objects.for_org(org).exists()
    assert "Choose a rating to go with each comment." in text
    assert "“Cooperation”: choose a rating from 1 to 5." in text


def test_feedback_page_clearing_a_locked_period_says_why(login, org, sales, support, manager):
    month, hr_dept = support["month"], support["hr_dept"]
    give_feedback(org, period=month, rater_department=sales, rated_department=hr_dept, rating=4)
    period_lock(period=month, by=None, reason="")
    refused = login(manager).post(
        f"/o/{org.slug}/feedback/?period={month.pk}", _grid_post(org, sales, hr_dept, [])
    )
    assert refused.status_code == 200
    assert "locked" in refused.content.decode() or "锁定" in refused.content.decode()
    assert Feedback.objects.for_org(org).count() == 1


def test_feedback_page_is_404_for_another_organization(login, org, support, outsider):
    assert login(outsider).get(f"/o/{org.slug}/feedback/").status_code == 404


@pytest.mark.parametrize("raters", [1, 4])
def test_feedback_page_query_count_does_not_grow_with_feedback(
    login, org, sales, support, hr, raters, django_assert_max_num_queries
):
    month = support["month"]
    for i in range(raters):
        rater = sales if i == 0 else make_department(org, code=f"biz{i}", function="sales")
        for rated in (support["hr_dept"], support["legal"]):
            give_feedback(
                org, period=month, rater_department=rater, rated_department=rated, rating=4
            )
    client = login(hr)
    client.get(f"/o/{org.slug}/feedback/?period={month.pk}")  # warm the session
    with django_assert_max_num_queries(18):
        page = client.get(f"/o/{org.slug}/feedback/?period={month.pk}")
    assert page.status_code == 200
    assert page.content.decode().count("data-feedback=") == 2 * raters


# --- the API ------------------------------------------------------------------------------


def _url(org, pk=None):
    return f"/api/v1/orgs/{org.slug}/feedback/" + (f"{pk}/" if pk else "")


def _body(org, support, sales, *values):
    return {
        "period": support["month"].pk,
        "rater_department": sales.pk,
        "rated_department": support["hr_dept"].pk,
        "ratings": [
            {"criterion": c.pk, "rating": v, "comment": "Fast" if i == 0 else ""}
            for i, (c, v) in enumerate(zip(_criteria(org), values, strict=True))
        ],
    }


def test_api_per_criterion_ratings_and_rules(api, org, sales, support, manager, hr, outsider):
    month, hr_dept = support["month"], support["hr_dept"]
    created = api(manager).post(
        _url(org), {**_body(org, support, sales, 4, 5, 3), "comment": "ok"}, format="json"
    )
    assert created.status_code == 201, created.content
    answer = created.json()
    assert [(r["rating"], r["comment"]) for r in answer["ratings"]] == [
        (4, "Fast"),
        (5, ""),
        (3, ""),
    ]
    assert answer["average"] == "4.0000" and answer["direction"] == "support"
    assert answer["rated_by"] == manager.username and not answer["rater_hidden"]
    pk = answer["id"]
    assert _actual(org, hr_dept, month).value == Decimal(80)
    # The single rating of old clients: the same rating on every criterion.
    edited = api(manager).put(_url(org, pk), {"rating": 2, "comment": ""}, format="json")
    assert edited.status_code == 200 and [r["rating"] for r in edited.json()["ratings"]] == [2] * 3
    assert _actual(org, hr_dept, month).value == Decimal(40)
    both = api(manager).put(
        _url(org, pk),
        {"rating": 2, "ratings": _body(org, support, sales, 1, 1, 1)["ratings"]},
        format="json",
    )
    assert both.status_code == 400 and "ratings" in both.json()
    missing = api(manager).put(
        _url(org, pk),
        {"ratings": _body(org, support, sales, 1, 1, 1)["ratings"][:2]},
        format="json",
    )
    assert missing.status_code == 400 and "Cooperation" in missing.json()["ratings"][0]
    bad = api(manager).post(_url(org), _body(org, support, sales, 4, 9, 4), format="json")
    assert bad.status_code == 400 and "ratings" in bad.json()
    unknown = dict(_body(org, support, sales, 4, 4, 4))
    unknown["ratings"] = [*unknown["ratings"], {"criterion": 999999, "rating": 3}]
    answer = api(manager).put(_url(org, pk), {"ratings": unknown["ratings"]}, format="json")
    assert answer.status_code == 400 and "Unknown criterion" in str(answer.json())
    # Another business department's manager may not rate for Sales, nor HR.
    body = _body(org, support, sales, 1, 1, 1)
    assert api(support["other_manager"]).post(_url(org), body, format="json").status_code == 403
    assert api(hr).post(_url(org), body, format="json").status_code == 403
    # The other manager sees neither what Sales gave nor what HR received.
    assert api(support["other_manager"]).get(_url(org)).json()["count"] == 0
    assert api(support["other_manager"]).get(_url(org, pk)).status_code == 404
    for method in ("get", "put", "delete"):
        assert getattr(api(outsider), method)(_url(org, pk), {}, format="json").status_code == 404
    assert api(outsider).get(_url(org)).status_code == 404
    assert api(manager).delete(_url(org, pk)).status_code == 204
    assert _actual(org, hr_dept, month) is None  # no feedback, no actual


@pytest.mark.parametrize(
    "who,anonymous,sees_name,sees_department",
    [
        ("hr", True, True, True),
        ("admin", True, True, True),
        ("rater", True, True, True),
        ("rated", True, False, False),
        ("executive", True, False, False),
        ("rated", False, True, True),
    ],
)
def test_api_applies_anonymity_per_role(
    api, org, sales, support, manager, hr, admin, executive, hr_head,
    who, anonymous, sees_name, sees_department,
):  # fmt: skip
    organization_update(org=org, by=None, feedback_anonymous=anonymous)
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=4,
        by=manager,
    )
    user = {"hr": hr, "admin": admin, "rater": manager, "rated": hr_head, "executive": executive}[
        who
    ]
    (row,) = api(user).get(_url(org)).json()["results"]
    assert (row["rated_by"] == manager.username) == sees_name
    assert (row["rated_by_name"] is not None) == sees_name
    assert row["rater_hidden"] == (not sees_name)
    assert (row["rater_department"] == sales.pk) == sees_department
    detail = api(user).get(_url(org, row["id"])).json()
    assert detail["rated_by"] == row["rated_by"]
    assert detail["rater_department"] == row["rater_department"]


def test_api_refuses_another_orgs_ids_without_telling(api, org, other_org, sales, support, manager):
    theirs = make_department(other_org, code="hr", kind="management", function="hr")
    body = {"period": support["month"].pk, "rater_department": sales.pk, "rating": 3}
    foreign = api(manager).post(_url(org), {**body, "rated_department": theirs.pk}, format="json")
    missing = api(manager).post(_url(org), {**body, "rated_department": 999999}, format="json")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == {
        k: [m.replace("999999", str(theirs.pk)) for m in v] for k, v in missing.json().items()
    }


@pytest.mark.parametrize("raters", [1, 4])
def test_api_list_query_count_does_not_grow(
    api, org, sales, support, hr, raters, django_assert_max_num_queries
):
    month = support["month"]
    for i in range(raters):
        rater = sales if i == 0 else make_department(org, code=f"biz{i}", function="sales")
        give_feedback(
            org, period=month, rater_department=rater, rated_department=support["hr_dept"], rating=4
        )
    client = api(hr)
    with django_assert_max_num_queries(12):
        answer = client.get(_url(org))
    assert answer.json()["count"] == raters
