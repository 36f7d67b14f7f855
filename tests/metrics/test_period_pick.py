"""metrics.selectors.period_pick: the one choice of a page's period (asked for, else the
page's defaults in order)."""

import datetime as dt

import pytest
from django.http import Http404

from metrics.selectors import PICK_CURRENT, PICK_ENDED, PICK_WITH_DATA, period_pick
from metrics.services.periods import period_lock, periods_generate

pytestmark = pytest.mark.django_db

MID_MARCH = dt.date(2026, 3, 15)


def label(period):
    return None if period is None else f"{period.kind} {period.start:%Y-%m}"


# (what the page asks for, today, what it gets). The fiscal year 2026 starts in January.
CASES = [
    # The current open period of the kind (a month when no kind is given).
    ({}, MID_MARCH, "month 2026-03"),
    ({"kind": "quarter"}, MID_MARCH, "quarter 2026-01"),
    ({"kind": "year"}, MID_MARCH, "year 2026-01"),
    ({}, dt.date(2025, 6, 1), "month 2026-01"),  # nothing started: the earliest open one
    # The last that has ended, else the last that has started, else the latest.
    ({"kind": "month", "defaults": (PICK_ENDED,)}, MID_MARCH, "month 2026-02"),
    ({"kind": "quarter", "defaults": (PICK_ENDED,)}, MID_MARCH, "quarter 2026-01"),
    ({"kind": "quarter", "defaults": (PICK_ENDED,)}, dt.date(2026, 7, 1), "quarter 2026-04"),
    ({"kind": "month", "defaults": (PICK_ENDED,)}, dt.date(2025, 6, 1), "month 2026-12"),
    ({"defaults": (PICK_ENDED,)}, dt.date(2025, 6, 1), "month 2026-12"),
    ({"defaults": (PICK_ENDED,)}, dt.date(2026, 1, 2), "year 2026-01"),  # year before Jan
    # The latest with data (the caller's function), then the next default.
    ({"defaults": (PICK_WITH_DATA, PICK_CURRENT)}, MID_MARCH, "month 2026-02"),
    ({"kind": "quarter", "defaults": (PICK_WITH_DATA, PICK_CURRENT)}, MID_MARCH, "quarter 2026-01"),
    ({"kind": "quarter", "defaults": (PICK_WITH_DATA,)}, MID_MARCH, None),
    ({"defaults": ()}, MID_MARCH, None),
]


@pytest.mark.parametrize(("asked", "today", "expected"), CASES)
def test_defaults(org, periods, asked, today, expected):
    def latest_with_data(*, org, kind):
        # Only February 2026 has scores in this organization.
        return next(
            (p for p in periods if p.kind == "month" and p.number == 2 and kind in (None, "month")),
            None,
        )

    got = period_pick(org=org, today=today, latest_with_data=latest_with_data, **asked)
    assert label(got) == expected


def test_current_skips_locked_periods(org, hr, periods):
    march = next(p for p in periods if p.kind == "month" and p.number == 3)
    period_lock(period=march, by=hr)
    assert label(period_pick(org=org, today=MID_MARCH)) == "month 2026-02"


@pytest.mark.parametrize(
    "defaults", [(PICK_CURRENT,), (PICK_ENDED,), (PICK_WITH_DATA, PICK_CURRENT)]
)
def test_the_period_asked_for_wins_over_any_default(org, periods, defaults):
    quarter = next(p for p in periods if p.kind == "quarter" and p.number == 3)
    got = period_pick(
        org=org, wanted=str(quarter.pk), defaults=defaults, latest_with_data=lambda **k: None
    )
    assert got == quarter


def test_blank_is_not_asking(org, periods):
    assert label(period_pick(org=org, wanted="", today=MID_MARCH)) == "month 2026-03"


@pytest.mark.parametrize("wanted", ["abc", "999999", "other-org"])
def test_an_unknown_or_foreign_period_is_404(org, other_org, periods, wanted):
    if wanted == "other-org":
        foreign = periods_generate(org=other_org, fiscal_year=2026, by=None)
        wanted = foreign[0].pk
    with pytest.raises(Http404):
        period_pick(org=org, wanted=wanted)


def test_wanted_kind_refuses_another_kind(org, periods):
    quarter = next(p for p in periods if p.kind == "quarter")
    month = next(p for p in periods if p.kind == "month")
    with pytest.raises(Http404):
        period_pick(org=org, wanted=quarter.pk, wanted_kind="month")
    assert period_pick(org=org, wanted=month.pk, wanted_kind="month") == month


def test_no_periods_is_none(org):
    assert period_pick(org=org, defaults=(PICK_ENDED, PICK_CURRENT)) is None


def test_an_unknown_default_is_a_programming_error(org, periods):
    with pytest.raises(ValueError):
        period_pick(org=org, defaults=("latest",))
