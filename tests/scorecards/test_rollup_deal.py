"""How a large recalculation is dealt into parts of about equal work (scorecards.rollup.deal)."""

from scorecards.rollup import PERIOD_WEIGHT, deal


def _fiscal_year(first_id: int) -> list[tuple[int, str]]:
    """A fiscal year's periods by start: the year, each quarter, its months."""
    ids = iter(range(first_id, first_id + 17))
    periods = [(next(ids), "year")]
    for _quarter in range(4):
        periods.append((next(ids), "quarter"))
        periods += [(next(ids), "month") for _ in range(3)]
    return periods


def _load(part, kinds):
    return sum(PERIOD_WEIGHT[kinds[pk]] for pk in part)


def test_every_period_is_in_exactly_one_part_sorted():
    periods = _fiscal_year(1) + _fiscal_year(18) + _fiscal_year(35)
    parts = deal(periods, 2)
    assert sorted(pk for part in parts for pk in part) == [pk for pk, _kind in periods]
    assert all(part == sorted(part) for part in parts)


def test_parts_differ_by_at_most_one_month_of_work():
    periods = _fiscal_year(1) + _fiscal_year(18) + _fiscal_year(35)
    kinds = dict(periods)
    for workers in (2, 3):
        loads = [_load(part, kinds) for part in deal(periods, workers)]
        assert max(loads) - min(loads) <= PERIOD_WEIGHT["month"]


def test_the_years_are_spread_before_the_months():
    periods = _fiscal_year(1) + _fiscal_year(18)
    years = [pk for pk, kind in periods if kind == "year"]
    parts = deal(periods, 2)
    assert [sum(pk in part for pk in years) for part in parts] == [1, 1]


def test_more_parts_than_periods_leaves_the_rest_empty():
    assert deal([(7, "month"), (8, "quarter")], 3) == [[8], [7], []]
