"""The briefing book: the app's own HTML/CSS (briefings/templates/briefings/book.html, print
CSS with @page) rendered to PDF by WeasyPrint, in the language asked for.

Everything in it is read through the selectors the pages use - the dashboard's indices
and their change since the previous period of the same kind, the ranking, the lines with
their managers' notes, the goals, the published grades - never computed again here: the
book says what the dashboard says. Charts are pygal SVG (briefings.charts). User-typed
text goes through Django's autoescape like every page."""

from __future__ import annotations

from collections import defaultdict

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grades import selectors as grade_selectors
from reviews import selectors as review_selectors
from scorecards.models import Status
from scorecards.selectors.comments import comment_map
from scorecards.selectors.dashboard import dashboard
from scorecards.selectors.scorecards import attach_lines, attach_notes

from . import charts


def book_context(*, org, period) -> dict:
    """What the book shows for the period, in the active language (names, labels)."""
    data = dashboard(org=org, period=period)
    cards: list = attach_lines(org=org, scorecards=data["ranking"])  # each with its `lines`
    attach_notes(org=org, pairs=[(period, line) for card in cards for line in card.lines])
    # The executives' and HR's comments: {(department id, KPI id or None): [comment]}.
    comments = comment_map(org=org, period=period, department_ids=[c.department_id for c in cards])
    red = [
        {"card": card, "line": line, "comments": comments.get((card.department_id, line.kpi_id))}
        for card in cards
        for line in card.lines
        if line.status == Status.RED
    ]
    trend = data["trend"]
    labels = [o.period.label for o in trend]
    scores = {row["department"].pk: row["scores"] for row in data["department_trend"]}
    reviews = {
        r.department_id: r for r in review_selectors.review_list(org=org, period_id=period.pk)
    }
    departments = [
        {
            "card": card,
            "chart": charts.department_trend(
                labels=labels,
                scores=scores.get(card.department_id, []),
                name=card.department.display_name,
            ),
            "review": reviews.get(card.department_id),
            "comments": comments.get((card.department_id, None), []),
        }
        for card in cards
    ]
    sides = defaultdict(list)
    for card in cards:
        sides[card.department.kind].append(card)
    calibration = grade_selectors.calibration_list(org=org).filter(period=period).first()
    board = None
    if calibration is not None:
        board = grade_selectors.calibration_board(org=org, period=period, calibration=calibration)
        if not board.published:
            board = None
    current = data["current"]
    return {
        "org": org,
        "period": period,
        "current": current,
        "previous": data["previous"],
        "changes": data["changes"],
        "ranking": cards,
        "management": sides["management"],
        "business": sides["business"],
        "red": red,
        "goals": data["goals"],
        "board": board,
        "departments": departments,
        "charts": {
            "trend": charts.index_trend(
                labels=labels,
                series={
                    _("Company index"): [o.company_index for o in trend],
                    _("Management index"): [o.management_index for o in trend],
                    _("Business index"): [o.business_index for o in trend],
                },
            ),
            "sides": charts.sides(
                rows=[(c.department.display_name, c.score, c.department.kind) for c in cards]
            ),
        },
        "generated_at": timezone.now(),
    }


def render_html(*, org, period, language: str) -> str:
    """The book as HTML in `language` (what WeasyPrint lays out; handy to look at)."""
    with translation.override(language):
        context = book_context(org=org, period=period)
        return render_to_string("briefings/book.html", {**context, "language": language})


def render_pdf(*, org, period, language: str) -> bytes:
    """The book of the period as PDF bytes, in `language`."""
    from weasyprint import HTML  # heavy import (pango, cairo-free): only where a book is made

    html = render_html(org=org, period=period, language=language)
    return HTML(string=html).write_pdf()
