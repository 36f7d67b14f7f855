"""Reads of the balanced-scorecard pages (issue 20): a period's stored scorecard lines grouped
by their indicator's perspective, for a department and for the company, and the strategy map
(company goals linked to the KPIs that feed them). Nothing is scored here again: a
perspective's score applies the roll-up's department formula (``scoring.department_score``,
the Python twin of ``scoring_sql.department_score_sql``) to the stored lines of that
perspective, so the weights of its lines are renormalised within it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from metrics import scoring
from metrics.models import Perspective

from ..charts import chart_number
from ..models import ScorecardLine, Status
from .goals import goal_list

# The strategy map's layers, bottom to top: learning feeds process, process the customer,
# the customer the financial results.
LAYERS = (
    Perspective.LEARNING,
    Perspective.PROCESS,
    Perspective.CUSTOMER,
    Perspective.FINANCIAL,
)
# The pages list them top down, results first.
ORDER = tuple(reversed(LAYERS))


@dataclass
class PerspectiveScore:
    """One perspective of a department (or of the company) in a period: its score, the
    score's status, and its lines (a department's) or how many departments have a score in
    it (the company's)."""

    perspective: str
    score: Decimal | None = None
    status: str = scoring.Status.GREY.value
    lines: list = field(default_factory=list)
    count: int = 0  # the company's: how many departments have a score in it

    @property
    def label(self) -> str:
        return str(Perspective(self.perspective).label)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


def perspective_score(*, org, lines) -> tuple[Decimal | None, str]:
    """The (score, status) of a group of stored lines, as the roll-up scores a department
    over all its lines (SPEC §3): the weighted mean of the scored lines' scores (weight
    above 0), over those with a score (``exclude``) or over all of them, a missing score
    counting as 0 (``zero``, the organization's missing-actual policy); None (grey) when
    none has a score. The status uses the organization's amber line."""
    score, _coverage = scoring.department_score(
        (scoring.ScoredKpi(weight=line.weight, score=line.score) for line in lines if line.scored),
        policy=org.missing_actual_policy,
    )
    return score, scoring.kpi_status(score, org.amber_line).value


def _lines(*, org, period, department_ids=None):
    qs = (
        ScorecardLine.objects.for_org(org)
        .filter(period_id=period.pk)
        .select_related("kpi__indicator", "department", "period")
        .order_by("department__code", "-weight", "kpi__indicator__code")
    )
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return list(qs)


def _group(*, org, lines) -> list[PerspectiveScore]:
    by_perspective = defaultdict(list)
    for line in lines:
        by_perspective[line.kpi.indicator.perspective].append(line)
    result = []
    for perspective in ORDER:
        group = PerspectiveScore(perspective=perspective, lines=by_perspective[perspective])
        group.score, group.status = perspective_score(org=org, lines=group.lines)
        # Each line's share of the perspective's weight (scored lines of weight above 0).
        counted = [line for line in group.lines if line.scored and line.weight > 0]
        total = sum((line.weight for line in counted), Decimal(0))
        for line in group.lines:
            counts = line.scored and line.weight > 0
            line.share = line.weight / total if total and counts else None
        result.append(group)
    return result


def department_bsc(*, org, department, period) -> list[PerspectiveScore]:
    """The department's stored lines of the period grouped by perspective (financial,
    customer, process, learning: every perspective, empty ones too), each with its score
    and status (``perspective_score``). One query."""
    return _group(org=org, lines=_lines(org=org, period=period, department_ids=[department.pk]))


@dataclass
class CompanyBsc:
    """The company's balanced scorecard of a period: per perspective, the mean of the
    departments' perspective scores (`perspectives`), and `rows`: the shown departments,
    each {"department", "perspectives"} with its four ``PerspectiveScore``."""

    perspectives: list[PerspectiveScore]
    rows: list[dict]
    lines: list  # every line of the period, for the strategy map


def company_bsc(*, org, period, department_ids=None) -> CompanyBsc:
    """Each department's perspective scores (``perspective_score`` over its own lines, not
    its sub-departments'), and the company's score per perspective: the plain mean of the
    departments' scores in that perspective, departments without one skipped, as the
    organization's indices average the departments' own scores (SPEC §4). The company's
    scores count every department; the rows only the `department_ids` shown (None: all).
    One query whatever the number of departments and KPIs."""
    lines = _lines(org=org, period=period)
    by_department = defaultdict(list)
    for line in lines:
        by_department[line.department_id].append(line)
    rows = []
    scores = defaultdict(list)
    for lines_of in by_department.values():
        department = lines_of[0].department
        groups = _group(org=org, lines=lines_of)
        for group in groups:
            if group.score is not None:
                scores[group.perspective].append(group.score)
        if department_ids is None or department.pk in department_ids:
            rows.append({"department": department, "perspectives": groups})
    perspectives = []
    for perspective in ORDER:
        score = scoring.weighted_mean((Decimal(1), s) for s in scores[perspective])
        perspectives.append(
            PerspectiveScore(
                perspective=perspective,
                score=score,
                status=scoring.kpi_status(score, org.amber_line).value,
                count=len(scores[perspective]),
            )
        )
    rows.sort(key=lambda row: (row["department"].code, row["department"].pk))
    return CompanyBsc(perspectives=perspectives, rows=rows, lines=lines)


def strategy_map(*, org, period, lines, department_ids=None) -> dict:
    """The company goals in force during the period (those of the period and of the quarter
    and year containing it, as on the dashboard), each linked to the KPIs that feed it, the
    KPIs placed in their perspective with their line of the period (`lines`, the period's
    stored lines; None when the KPI has none). {"goals": [goal], "items": [{"goal", "link",
    "line", "perspective", "visible"}]}, each goal with its own `items`, `visible` whether
    the member may open the KPI's page. Two queries (goals, their links)."""
    goals = list(
        goal_list(org=org)
        .filter(period__start__lte=period.start, period__end__gte=period.end)
        .order_by("period__start", "-period__end", "title")
    )
    by_kpi = {line.kpi_id: line for line in lines}
    items = []
    for goal in goals:
        goal.items = [
            {
                "goal": goal,
                "link": link,
                "line": by_kpi.get(link.kpi_id),
                "perspective": link.kpi.indicator.perspective,
                "visible": department_ids is None or link.kpi.department_id in department_ids,
            }
            for link in goal.links.all()
        ]
        items += goal.items
    return {"goals": goals, "items": items}


def strategy_chart(strategy: dict) -> dict:
    """What the strategy map's chart draws (static/perfhub/bsc.js): the goals on top, the KPIs
    that feed them on the four perspective layers below (learning at the bottom), a link
    from each KPI to each goal it feeds. Names as plain text (the chart escapes them)."""
    goals = strategy["goals"]
    nodes: list[dict] = []
    links: list[dict] = []
    goal_index = {}
    for i, goal in enumerate(goals):
        goal_index[goal.pk] = len(nodes)
        nodes.append(
            {
                "name": goal.title,
                "layer": len(LAYERS),
                "x": i,
                "status": scoring.Status.GREY.value,
                "score": chart_number(goal.progress),
                "goal": True,
            }
        )
    kpi_index: dict[int, int] = {}
    per_layer: dict[str, int] = defaultdict(int)
    for item in strategy["items"]:
        kpi = item["link"].kpi
        if kpi.pk not in kpi_index:
            kpi_index[kpi.pk] = len(nodes)
            line = item["line"]
            nodes.append(
                {
                    "name": f"{kpi.indicator.display_name} · {kpi.department.display_name}",
                    "layer": LAYERS.index(item["perspective"]),
                    "x": per_layer[item["perspective"]],
                    "status": line.status if line is not None else scoring.Status.GREY.value,
                    "score": chart_number(line.score) if line is not None else None,
                    "goal": False,
                }
            )
            per_layer[item["perspective"]] += 1
        links.append({"source": kpi_index[kpi.pk], "target": goal_index[item["goal"].pk]})
    return {
        "layers": [str(Perspective(p).label) for p in LAYERS],
        "nodes": nodes,
        "links": links,
    }
