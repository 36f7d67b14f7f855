import pytest

from metrics.services.periods import periods_generate


@pytest.fixture
def year_periods(org):
    periods = periods_generate(org=org, fiscal_year=2026, by=None)
    return {
        "months": [p for p in periods if p.kind == "month"],
        "quarters": [p for p in periods if p.kind == "quarter"],
        "year": next(p for p in periods if p.kind == "year"),
        "all": periods,
    }
