"""The book itself, read back from the PDF with pdftotext in both languages: the indices and
their change, the departments, the red KPI with its manager's note (escaped: markup stays
text), the published grades. Rendering costs seconds: few tests, each checking much."""

import subprocess

import pytest

from briefings.render import render_pdf
from grades import selectors as grade_selectors
from scorecards.selectors.scorecards import org_scorecard

from .conftest import CARD_COMMENT, LINE_COMMENT, NOTE

# pdftotext (poppler-utils) is installed by .ci/run: without it these tests fail, never skip.
pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return out.stdout.decode("utf-8")


def squeezed(text: str) -> str:
    """Without the line breaks and spacing of the layout (a note may wrap)."""
    return " ".join(text.split())


def test_the_book_shows_the_month_in_both_languages(org, scenario):
    march = scenario["march"]
    current = org_scorecard(org=org, period_id=march.pk)
    previous = org_scorecard(org=org, period_id=scenario["feb"].pk)
    board = grade_selectors.calibration_board(org=org, period=march)
    assert board.published and all(r.final for r in board.rows)
    books = {lang: render_pdf(org=org, period=march, language=lang) for lang in ("en", "zh-hans")}
    for language, pdf in books.items():
        assert pdf.startswith(b"%PDF")
        text = squeezed(pdf_text(pdf))
        assert org.name in text
        assert f"{current.company_index:.1f}" in text
        assert f"{current.management_index:.1f}" in text
        assert f"{current.business_index:.1f}" in text
        assert f"{current.balance_gap:.1f}" in text
        change = current.business_index - previous.business_index
        assert f"{change:+.1f}".replace("-", "−") in text or f"{change:+.1f}" in text
        # the red KPI's note, escaped: the tags are printed, not applied
        assert squeezed(NOTE) in text, language
        # the executives' comments: on the red line, and on HR's scorecard (its page)
        assert squeezed(LINE_COMMENT) in text and CARD_COMMENT in text
        for row in board.rows:
            assert row.department.display_name in text or row.department.name in text
        if language == "en":
            assert "Sales" in text and "Human Resources" in text
            assert "Grades" in text and "Red KPIs" in text
        else:
            assert "销售部" in text and "人力资源部" in text
            assert "绩效等级" in text  # a heading with its translation already
            assert "公司指数" in text


def _queries(org, period) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from briefings.render import render_html

    with CaptureQueriesContext(connection) as captured:
        html = render_html(org=org, period=period, language="en")
    return len(captured), html


def test_the_book_reads_in_a_fixed_number_of_queries(org, scenario):
    from metrics import selectors
    from metrics.services.templates import template_apply
    from scorecards.rollup import recalculate
    from tests.factories import make_department

    march = scenario["march"]
    few, _html = _queries(org, march)
    more = [make_department(org, code=f"biz{n}", name=f"Biz {n}") for n in range(3)]
    template_apply(
        template=selectors.template_list(org=org).get(code="sales_standard"),
        departments=more,
        by=None,
    )
    recalculate(org=org, period_ids=[p.pk for p in scenario["periods"]])
    many, html = _queries(org, march)
    assert all(f'id="department-{d.pk}"' in html for d in more)  # a page each
    assert many == few, (few, many)
