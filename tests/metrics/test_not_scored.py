""" "Not scored" always says why (issue 16 §6): the reason of
metrics.scoring_rules.not_scored_reason, in the entry grid, the scorecard and the API."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from metrics.messages import not_scored_message
from metrics.scoring_rules import not_scored_reason
from metrics.services.kpis import kpi_update


def _kpi(**fields):
    base = {
        "is_active": True,
        "weight": D(10),
        "target": D(100),
        "target_period": "month",
        "indicator": SimpleNamespace(aggregation="average"),
    }
    return SimpleNamespace(**{**base, **fields})


@pytest.mark.parametrize(
    "kpi,period_kind,weight,reason,message",
    [
        (_kpi(), "month", None, None, ""),
        (_kpi(is_active=False), "month", None, "inactive", "inactive"),
        (_kpi(weight=D(0)), "month", None, "weight_0", "weight 0, tracked only"),
        (_kpi(), "month", D(0), "weight_0", "weight 0, tracked only"),  # a line's weight
        (_kpi(target=None), "month", None, "no_target", "no target"),
        (
            _kpi(target_period="year"),
            "month",
            None,
            "target_period",
            "yearly target: scored in the year",
        ),
        (
            _kpi(target_period="quarter"),
            "month",
            None,
            "target_period",
            "quarterly target: scored in the quarter",
        ),
        (_kpi(target_period="year"), "year", None, None, ""),
        # a sum's target is scaled down to the month: scored
        (
            _kpi(target_period="year", indicator=SimpleNamespace(aggregation="sum")),
            "month",
            None,
            None,
            "",
        ),  # noqa: E501
    ],
)
def test_not_scored_reason(kpi, period_kind, weight, reason, message):
    assert not_scored_reason(kpi, period_kind=period_kind, weight=weight) == reason
    with translation.override("en"):
        assert not_scored_message(reason, kpi) == message
    if reason:
        with translation.override("zh-hans"):
            assert not_scored_message(reason, kpi) != message  # translated


@pytest.mark.django_db
def test_entry_grid_says_why_a_kpi_is_not_scored(org, manager, login, sales_kpis, month):
    kpi = next(k for k in sales_kpis.values() if k.indicator.typed and k.weight > 0)
    kpi_update(kpi=kpi, by=None, weight=D(0))
    page = login(manager).get(
        reverse("my_entries", kwargs={"slug": org.slug}) + f"?period={month.pk}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not scored: weight 0, tracked only" in page.content.decode()
