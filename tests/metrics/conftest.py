import pytest

from metrics import selectors
from metrics.services.library import library_install
from metrics.services.periods import periods_generate
from metrics.services.templates import template_apply


@pytest.fixture
def library(org):
    library_install(org=org)
    return org


@pytest.fixture
def periods(library):
    return periods_generate(org=library, fiscal_year=2026, by=None)


@pytest.fixture
def month(periods):
    """March 2026."""
    return next(p for p in periods if p.kind == "month" and p.number == 3)


@pytest.fixture
def sales_kpis(library, sales, periods):
    template = selectors.template_list(org=library).get(code="sales_standard")
    template_apply(template=template, departments=[sales], by=None)
    return {k.indicator.code: k for k in selectors.kpi_list(org=library, department=sales)}
