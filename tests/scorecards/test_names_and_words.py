"""People are shown by their names (perfhub.names): the order right for Chinese names, set
on the profile page, on pages, in the API, in exports and in e-mails; English dates are
unambiguous; formulas are spelled with indicator names."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import formats, translation
from openpyxl import load_workbook

from metrics import formulas
from perfhub.names import display_name, person_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "family", "shown"),
    [
        ("小明", "王", "王小明"),  # family name first, no space
        ("Anna", "Schmidt", "Anna Schmidt"),
        ("  Anna ", "", "Anna"),
        ("", "Schmidt", "Schmidt"),
        ("Xiaoming", "王", "王Xiaoming"),  # one part in CJK: the Chinese order
        ("", "", ""),
    ],
)
def test_person_name_order(given, family, shown):
    assert person_name(given, family) == shown


def test_display_name_falls_back_to_the_username():
    User = get_user_model()
    assert display_name(User(username="mona-manager")) == "mona-manager"
    assert display_name(User(username="x", first_name="小明", last_name="王")) == "王小明"
    assert display_name(None) == ""


def _name(user, given, family):
    user.first_name, user.last_name = given, family
    user.save()


def test_profile_page_sets_the_name_shown_everywhere(client, admin, manager, org):
    client.force_login(admin)
    page = client.get("/profile/")
    assert page.context["form"]["given_name"].value() == ""
    response = client.post(
        "/profile/",
        {"given_name": " 丽 ", "family_name": "张", "language": "", "wanted": []},
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert (admin.first_name, admin.last_name) == ("丽", "张")
    _name(manager, "Mona", "Meyer")
    members = client.get(f"/o/{org.slug}/members/").content.decode()
    assert "张丽" in members  # the top bar and the member list
    assert "Mona Meyer" in members and "mona-manager" in members  # the username beside it
    tree = client.get(f"/o/{org.slug}/departments/").content.decode()
    assert "Mona Meyer" in tree  # the managers column


def test_profile_name_too_long_is_refused_naming_the_field(client, admin):
    client.force_login(admin)
    response = client.post(
        "/profile/", {"given_name": "x" * 151, "family_name": "", "language": ""}
    )
    assert response.status_code == 200
    assert "given_name" in response.context["form"].errors
    admin.refresh_from_db()
    assert admin.first_name == ""


def test_api_gives_names_beside_usernames(api, admin, manager, org):
    _name(manager, "小明", "王")
    body = api(admin).get(f"/api/v1/orgs/{org.slug}/members/").json()
    names = {m["username"]: m["name"] for m in body["results"]}
    assert names["mona-manager"] == "王小明"
    assert names["alice-admin"] == "alice-admin"  # no name set: the username


def test_emails_greet_people_by_name(org, sales, manager, hr, support):
    from metrics import selectors as metric_selectors
    from metrics.services.templates import template_apply
    from reviews import notifications

    template_apply(
        template=metric_selectors.template_list(org=org).get(code="sales_standard"),
        departments=[sales],
        by=None,
    )
    manager.email = "mona@example.com"
    _name(manager, "Mona", "Meyer")
    month = support["months"][0]
    mail.outbox.clear()
    assert notifications.entry_reminders(org=org, today=month.due_date) >= 1
    (message,) = [m for m in mail.outbox if m.to == ["mona@example.com"]]
    assert "Mona Meyer" in message.body and "mona-manager" not in message.body


def test_export_names_who_exported_it(client, executive, org, computed):
    _name(executive, "Eve", "Ng")
    client.force_login(executive)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/o/{org.slug}/dashboard/export.xlsx?period={computed['month'].pk}"
    wb = load_workbook(io.BytesIO(client.get(url).content))
    assert wb.worksheets[0]["A2"].value.endswith(" by Eve Ng")


def test_english_dates_are_unambiguous_and_chinese_unchanged():
    day = dt.date(2026, 12, 6)
    with translation.override("en"):
        assert formats.date_format(day, "DATE_FORMAT") == "6 Dec 2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "6 Dec 2026"
        moment = dt.datetime(2026, 12, 6, 9, 5)
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "6 Dec 2026 09:05"
        assert "%Y-%m-%d" in formats.get_format("DATE_INPUT_FORMATS")  # input unchanged
    with translation.override("zh-hans"):
        assert formats.date_format(day, "DATE_FORMAT") == "2026年12月6日"


def test_formulas_are_spelled_with_indicator_names():
    names = {"leavers": "离职人数", "headcount": "平均人数"}
    assert formulas.spelled("leavers / headcount * 100", names) == "离职人数 ÷ 平均人数 × 100"
    assert formulas.spelled("a_b + leavers", names) == "a_b + 离职人数"  # unknown stays


def test_entry_page_shows_formula_and_missing_components_by_name(client, hr, org, support):
    """HR's standard template has staff turnover, a formula KPI: its formula and the
    missing components are written with the indicators' names, never their codes."""
    from metrics import selectors as metric_selectors

    client.force_login(hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(f"/o/{org.slug}/entries/?period={support['month'].pk}").content.decode()
    kpis = list(metric_selectors.kpi_list(org=org, department=support["hr_dept"]))
    formula_kpis = [k for k in kpis if k.indicator.is_formula and k.indicator.frequency == "month"]
    assert formula_kpis
    with translation.override("zh-hans"):
        names = metric_selectors.indicator_names(org=org)
    for kpi in formula_kpis:
        spelled = formulas.spelled(kpi.indicator.formula, names)
        assert spelled != kpi.indicator.formula and spelled in page
        assert f"<code>{kpi.indicator.formula}</code>" not in page
        missing = sorted(names[c] for c in formulas.parse(kpi.indicator.formula).codes)
        assert "缺失: " + "、".join(missing) in page  # nothing entered yet: all missing


def test_a_hostile_name_is_escaped_on_pages_and_kept_as_text_in_the_api(client, api, admin, org):
    payload = '<img src=x onerror="alert(1)">'
    _name(admin, payload, "")
    client.force_login(admin)
    page = client.get(f"/o/{org.slug}/members/").content.decode()
    assert payload not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    body = api(admin).get(f"/api/v1/orgs/{org.slug}/members/").json()
    assert payload in {m["name"] for m in body["results"]}
