"""How a large recalculation is dealt into parts of about equal work (see scorecards.rollup)."""

# The work of a period, in months' worth: a month's lines pass its actuals through; a
# quarter or a year writes as many lines but first groups the months it contains (each
# grouped actual costs about a fifth of a written line; measured by `benchmark rollup`).
PERIOD_WEIGHT = {"month": 1.0, "quarter": 1 + 3 / 5, "year": 1 + 12 / 5}


def deal(kinds: list[tuple[int, str]], parts: int) -> list[list[int]]:
    """(period id, kind) pairs dealt into `parts` parts of about equal work: the heaviest
    first, each to the part with the least so far (ties: the first). Ids sorted per part."""
    load = [0.0] * parts
    dealt: list[list[int]] = [[] for _ in range(parts)]
    heaviest_first = sorted(kinds, key=lambda pk_kind: -PERIOD_WEIGHT.get(pk_kind[1], 1.0))
    for pk, kind in heaviest_first:  # a stable sort: equal weights keep their order
        n = load.index(min(load))
        load[n] += PERIOD_WEIGHT.get(kind, 1.0)
        dealt[n].append(pk)
    return [sorted(part) for part in dealt]
