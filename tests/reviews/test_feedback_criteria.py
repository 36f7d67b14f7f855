"""The organization's feedback criteria: the settings page and the API (who may change
them, another organization), the rules every change keeps, and the data migration that
put every existing single rating on each criterion."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from metrics.models import Actual
from reviews.models import FeedbackCriterion, FeedbackRating
from reviews.services.criteria import feedback_criteria
from tests.factories import give_feedback

pytestmark = pytest.mark.django_db


def _page(org):
    return f"/o/{org.slug}/feedback/criteria/"


def _api(org, pk=None):
    return f"/api/v1/orgs/{org.slug}/feedback-criteria/" + (f"{pk}/" if pk else "")


def _add(name="Speed", **extra):
    return {
        "action": "add",
        "add-name": name,
        "add-name_en": name,
        "add-applies_to": "both",
        "add-position": "",
        "add-is_active": "on",
        **extra,
    }


# --- the page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,status", [("admin", 200), ("hr", 200), ("executive", 403), ("manager", 403)]
)
def test_criteria_page_role_matrix(who, status, login, org, role_users):
    client = login(role_users[who])
    assert client.get(_page(org)).status_code == status
    answer = client.post(_page(org), _add())
    assert answer.status_code == (302 if status == 200 else 403)
    assert FeedbackCriterion.objects.for_org(org).filter(name="Speed").exists() == (status == 200)


def test_criteria_page_is_404_for_another_org_and_its_criteria_stay_apart(
    login, org, other_org, hr, outsider
):
    theirs = feedback_criteria(org=other_org)
    client = login(outsider)
    assert client.get(_page(org)).status_code == 404
    assert client.post(_page(org), _add()).status_code == 404
    # Our HR naming another organization's criterion changes nothing of theirs.
    page = login(hr).post(_page(org), {"action": "delete", "criterion": theirs[0].pk})
    assert page.status_code == 200 and "Unknown criterion" in page.content.decode()
    assert len(feedback_criteria(org=other_org)) == 3


def test_criteria_page_adds_edits_switches_off_and_deletes(login, org, hr, sales, support):
    client = login(hr)
    client.cookies["django_language"] = "en"
    assert client.post(_page(org), _add("Speed")).status_code == 302
    speed = FeedbackCriterion.objects.for_org(org).get(name="Speed")
    assert speed.position == 4 and speed.applies_to == "both"
    answer = client.post(
        _page(org),
        {
            "action": "update",
            "criterion": speed.pk,
            f"c{speed.pk}-name": "速度",
            f"c{speed.pk}-name_en": "Speed",
            f"c{speed.pk}-applies_to": "cooperation",
            f"c{speed.pk}-position": "0",
        },
    )
    assert answer.status_code == 302
    speed.refresh_from_db()
    assert (speed.name, speed.applies_to, speed.position, speed.is_active) == (
        "速度",
        "cooperation",
        0,
        False,  # the box was not ticked
    )
    # A criterion with ratings is not deleted; an unused one is.
    quality = FeedbackCriterion.objects.for_org(org).get(name_en="Quality")
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=4,
    )
    refused = client.post(_page(org), {"action": "delete", "criterion": quality.pk})
    assert refused.status_code == 200 and "switch it off" in refused.content.decode()
    assert client.post(_page(org), {"action": "delete", "criterion": speed.pk}).status_code == 302
    assert not FeedbackCriterion.objects.for_org(org).filter(pk=speed.pk).exists()


def test_support_always_keeps_an_active_criterion(login, org, hr):
    client = login(hr)
    client.cookies["django_language"] = "en"
    criteria = feedback_criteria(org=org)
    for c in criteria[:2]:
        c.is_active = False
        c.save()
    last = criteria[2]
    page = client.post(
        _page(org),
        {
            "action": "update",
            "criterion": last.pk,
            f"c{last.pk}-name": last.name,
            f"c{last.pk}-name_en": last.name_en,
            f"c{last.pk}-applies_to": "both",
            f"c{last.pk}-position": "3",
        },
    )
    assert page.status_code == 200
    assert "At least one active criterion" in page.content.decode()
    last.refresh_from_db()
    assert last.is_active


def test_criteria_page_in_both_languages(login, org, hr):
    client = login(hr)
    for language, words in (("en", "Responsiveness"), ("zh-hans", "协作")):
        client.cookies["django_language"] = language
        page = client.get(_page(org))
        assert page.status_code == 200 and f'<html lang="{language}"' in page.content.decode()
        assert words in page.content.decode() or "Responsiveness" in page.content.decode()


# --- the API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,reads,writes",
    [
        ("admin", 200, 201),
        ("hr", 200, 201),
        ("executive", 200, 403),
        ("manager", 200, 403),
        ("outsider", 404, 404),
    ],
)
def test_criteria_api_roles(api, org, role_users, who, reads, writes):
    client = api(role_users[who])
    listed = client.get(_api(org))
    assert listed.status_code == reads
    if reads == 200:
        assert [c["name_en"] for c in listed.json()["results"]] == [
            "Responsiveness",
            "Quality",
            "Cooperation",
        ]
    created = client.post(_api(org), {"name": "Speed", "applies_to": "support"}, format="json")
    assert created.status_code == writes, created.content
    pk = feedback_criteria(org=org)[0].pk
    assert client.patch(_api(org, pk), {"position": 9}, format="json").status_code == (
        200 if writes == 201 else writes
    )


def test_criteria_api_rules_and_isolation(api, org, other_org, hr, sales, support):
    client = api(hr)
    created = client.post(_api(org), {"name": "Speed", "name_en": "Speed"}, format="json")
    assert created.status_code == 201 and created.json()["position"] == 4
    twice = client.post(_api(org), {"name": "Speed"}, format="json")
    assert twice.status_code == 400 and "name" in twice.json()
    bad = client.post(_api(org), {"name": "X", "applies_to": "sideways"}, format="json")
    assert bad.status_code == 400 and "applies_to" in bad.json()
    unknown = client.post(_api(org), {"name": "X", "colour": "red"}, format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()
    theirs = feedback_criteria(org=other_org)[0]
    for method in ("get", "patch", "delete"):
        answer = getattr(client, method)(_api(org, theirs.pk), {}, format="json")
        assert answer.status_code == 404
    assert client.delete(_api(org, created.json()["id"])).status_code == 204
    give_feedback(
        org,
        period=support["month"],
        rater_department=sales,
        rated_department=support["hr_dept"],
        rating=4,
    )
    used = feedback_criteria(org=org)[0]
    refused = client.delete(_api(org, used.pk))
    assert refused.status_code == 400 and "switch it off" in str(refused.json())
    off = client.patch(_api(org, used.pk), {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False


# --- the data migration ---------------------------------------------------------------------


def test_migration_puts_each_single_rating_on_every_criterion(as_owner, org, sales, support):
    """Feedback stored with one rating before criteria: after the migration each has that
    rating on each default criterion, so the satisfaction it makes does not change."""
    month, hr_dept = support["month"], support["hr_dept"]
    executor = MigrationExecutor(connection)
    before = [("reviews", "0012_feedback_criteria")]
    after = [("reviews", "0013_feedback_criteria_data")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldFeedback = old.get_model("reviews", "Feedback")
    for rater, rating in ((sales, 4), (support["production"], 5)):
        OldFeedback.objects.create(
            organization_id=org.pk,
            period_id=month.pk,
            rater_department_id=rater.pk,
            rated_department_id=hr_dept.pk,
            rating=rating,
            comment="kept",
        )
    assert not old.get_model("reviews", "FeedbackCriterion").objects.exists()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Criterion = new.get_model("reviews", "FeedbackCriterion")
    Rating = new.get_model("reviews", "FeedbackRating")
    assert list(
        Criterion.objects.filter(organization_id=org.pk)
        .order_by("position")
        .values_list("name_en", "applies_to")
    ) == [("Responsiveness", "support"), ("Quality", "support"), ("Cooperation", "both")]
    by_feedback = {}
    for feedback_id, rating, comment in Rating.objects.filter(organization_id=org.pk).values_list(
        "feedback_id", "rating", "comment"
    ):
        by_feedback.setdefault(feedback_id, []).append((rating, comment))
    assert sorted(by_feedback.values()) == [[(4, "")] * 3, [(5, "")] * 3]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    # The satisfaction recomputed from the migrated ratings is what one rating made: 90.
    from reviews.services.feedback import feedback_kpi_update

    feedback_kpi_update(org=org, period=month, department=hr_dept, direction="support")
    actual = Actual.objects.for_org(org).get(kpi__department=hr_dept, period=month)
    assert actual.value == Decimal(90)
    assert FeedbackRating.objects.for_org(org).count() == 6


# --- the organization's feedback settings ---------------------------------------------------


@pytest.mark.parametrize("who,status", [("admin", 200), ("hr", 403), ("manager", 403)])
def test_feedback_settings_are_the_admins_in_page_and_api(api, login, org, role_users, who, status):
    client = api(role_users[who])
    url = f"/api/v1/orgs/{org.slug}/"
    assert client.get(url).json()["feedback_anonymous"] is True
    assert client.get(url).json()["feedback_cooperation_kpi"] is False
    answer = client.patch(url, {"feedback_anonymous": False}, format="json")
    assert answer.status_code == status
    org.refresh_from_db()
    assert org.feedback_anonymous is (status != 200)
    page = login(role_users[who]).get(f"/o/{org.slug}/settings/")
    assert page.status_code == status
    if status == 200:
        text = page.content.decode()
        assert 'name="feedback_anonymous"' in text and 'name="feedback_cooperation_kpi"' in text
        form = {
            "name": org.name,
            "language": org.language,
            "currency": org.currency,
            "fiscal_year_start_month": org.fiscal_year_start_month,
            "amber_line": org.amber_line,
            "management_weight": org.management_weight,
            "missing_actual_policy": org.missing_actual_policy,
            "review_frequency": org.review_frequency,
            "reminder_days_before": org.reminder_days_before,
            "escalate_after_days": org.escalate_after_days,
            "feedback_anonymous": "on",
        }
        assert login(role_users[who]).post(f"/o/{org.slug}/settings/", form).status_code == 302
        org.refresh_from_db()
        assert org.feedback_anonymous is True and org.feedback_cooperation_kpi is False
