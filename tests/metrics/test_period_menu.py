"""The one period picker (issue 16 §2): metrics.period_menu orders, groups and hides the
periods; selectors.period_choices says which have data; every page renders it through
templates/_period_picker.html."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from metrics import selectors
from metrics.period_menu import period_menu
from metrics.services.actuals import ActualInput, actuals_save
from metrics.services.periods import period_lock, periods_generate
from metrics.templatetags.period_tags import period_options

TODAY = dt.date(2026, 12, 6)


def _p(pk, kind, start, end, fy, number=1, locked=False, has_data=False):
    label = {"month": f"{start:%Y-%m}", "quarter": f"FY{fy} Q{number}", "year": f"FY{fy}"}
    return SimpleNamespace(
        pk=pk,
        kind=kind,
        start=start,
        end=end,
        fiscal_year=fy,
        label=label[kind],
        is_locked=locked,
        has_data=has_data,
    )


D = dt.date
PERIODS = [  # oldest first, as period_list returns them
    _p(1, "year", D(2025, 1, 1), D(2025, 12, 31), 2025),
    _p(2, "month", D(2025, 12, 1), D(2025, 12, 31), 2025, locked=True),
    _p(3, "year", D(2026, 1, 1), D(2026, 12, 31), 2026),
    _p(4, "quarter", D(2026, 10, 1), D(2026, 12, 31), 2026, number=4),
    _p(5, "month", D(2026, 11, 1), D(2026, 11, 30), 2026, locked=True),
    _p(6, "month", D(2026, 12, 1), D(2026, 12, 31), 2026),
    _p(7, "month", D(2027, 1, 1), D(2027, 1, 31), 2027),  # future, nothing entered
    _p(8, "month", D(2027, 2, 1), D(2027, 2, 28), 2027, has_data=True),  # future with data
    _p(9, "year", D(2027, 1, 1), D(2027, 12, 31), 2027),  # future: has 8 inside, says so
]
PERIODS[8].has_data = True


def shown(menu):
    return [(g.label, [p.pk for p in g.periods]) for g in menu.groups]


def test_newest_first_grouped_by_fiscal_year_the_wider_period_first():
    menu = period_menu(PERIODS, PERIODS[5], today=TODAY)
    assert shown(menu) == [
        ("FY2027", [9, 8]),
        ("FY2026", [3, 4, 6, 5]),
        ("FY2025", [1, 2]),
    ]
    assert menu.hidden == 1  # January 2027: not started, nothing entered


def test_show_all_lists_the_future_periods_and_the_chosen_one_is_always_listed():
    assert shown(period_menu(PERIODS, None, today=TODAY, show_all=True))[0] == (
        "FY2027",
        [9, 8, 7],
    )
    chosen = period_menu(PERIODS, PERIODS[6], today=TODAY)
    assert shown(chosen)[0] == ("FY2027", [9, 8, 7]) and chosen.hidden == 0
    # A period is future only once it has not started: December 2026 is listed on its 1st.
    assert period_menu(PERIODS, None, today=D(2026, 12, 1)).hidden == 1
    assert period_menu(PERIODS, None, today=D(2026, 11, 30)).hidden == 2  # + Dec 2026


def test_options_group_mark_locked_select_the_chosen_and_escape():
    periods = [*PERIODS[:3], _p(10, "month", D(2026, 1, 1), D(2026, 1, 31), 2026)]
    periods[-1].label = "<b>"
    html = str(period_options(period_menu(periods, periods[1], today=TODAY), periods[1]))
    assert html == (
        '<optgroup label="FY2026"><option value="3">FY2026</option>'
        '<option value="10">&lt;b&gt;</option></optgroup>'
        '<optgroup label="FY2025"><option value="1">FY2025</option>'
        '<option value="2" selected>2025-12 (locked)</option></optgroup>'
    )


@pytest.mark.django_db
def test_period_choices_say_which_periods_have_data_in_one_query(
    org, sales_kpis, periods, django_assert_num_queries
):
    march = next(p for p in periods if p.kind == "month" and p.number == 3)
    actuals_save(
        org=org,
        by=None,
        source="web",
        can_enter=lambda d: True,
        entries=[ActualInput(sales_kpis["sales_revenue"].pk, march.pk, "1500000", note="n")],
    )
    with django_assert_num_queries(1):
        with_data = {p.label for p in selectors.period_choices(org=org) if p.has_data}
    assert with_data == {"2026-03", "FY2026 Q1", "FY2026"}


def _options(html):
    """The picker's (optgroup label, [option texts]) in page order, and the selected one."""
    select = re.search(r'<select id="period-pick".*?</select>', html, re.S).group(0)
    groups = [
        (label, re.findall(r">([^<]+)</option>", body))
        for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select)
    ]
    selected = re.search(r'<option value="\d+" selected>([^<]+)</option>', select)
    return groups, selected and selected.group(1)


@pytest.mark.django_db
def test_entries_picker_lists_locked_months_newest_first_and_hides_future_ones(
    client, manager, org, sales_kpis, periods
):
    march = next(p for p in periods if p.kind == "month" and p.number == 3)
    period_lock(period=march, by=None)
    future = periods_generate(org=org, fiscal_year=2099, by=None)  # never started
    client.force_login(manager)
    page = client.get(f"/o/{org.slug}/entries/?period={march.pk}").content.decode()
    groups, selected = _options(page)
    assert [label for label, _ in groups] == ["FY2026"]
    assert groups[0][1][0] == "2026-12" and groups[0][1][-1] == "2026-01"
    assert "2026-03 (locked)" in groups[0][1] and selected == "2026-03 (locked)"
    assert "2026-03 is locked: the values are shown read-only." in page
    assert 'id="period-show-all"' in page and "Show all (12 future periods)" in page
    shown_all = client.get(f"/o/{org.slug}/entries/?period={march.pk}&all=1").content.decode()
    groups, _ = _options(shown_all)
    assert [label for label, _ in groups] == ["FY2099", "FY2026"]
    assert len(groups[0][1]) == len([p for p in future if p.kind == "month"])
    assert 'name="all" value="1"' in shown_all  # kept when another period is chosen


@pytest.mark.django_db
def test_picker_keeps_the_pages_other_parameters(client, executive, org, periods):
    periods_generate(org=org, fiscal_year=2099, by=None)
    client.force_login(executive)
    page = client.get(f"/o/{org.slug}/dashboard/?kind=business&function=sales").content
    page = page.decode()
    form = re.search(r'<form method="get" class="period-picker.*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="kind" value="business">' in form
    assert '<input type="hidden" name="function" value="sales">' in form
    link = re.search(r'id="period-show-all" href="([^"]+)"', form).group(1)
    assert link.startswith("?kind=business&amp;function=sales&amp;period=")
    assert link.endswith("&amp;all=1")
