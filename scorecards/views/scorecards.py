"""Scorecard pages (read stored results): a department's scorecard and its export, a KPI
over time, and HR's recalculation with its progress."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import (
    can_configure,
    can_plan_actions,
    can_view_department,
    is_member,
)
from metrics import selectors as metric_selectors
from metrics.period_targets import editor_grain
from perfhub.errors import add_service_errors

from .. import exports
from ..charts import chart_number, chart_value
from ..forms import ActionForm, CommentForm, line_subject
from ..selectors import actions as action_selectors
from ..selectors import comments as comment_selectors
from ..selectors import scorecards as selectors
from ..selectors.compare import YOY, attach_comparisons, compare_choice, kpi_year_on_year
from ..services import ACTION_LINE_STATUSES, can_comment, comment_add, comment_delete
from ..tasks import request_full_recalculation


def period_for_page(request):
    """The period asked for, else the latest month with data (else the latest period
    with data), else the current month."""
    return metric_selectors.period_pick(
        org=request.org,
        wanted=request.GET.get("period"),
        defaults=(metric_selectors.PICK_WITH_DATA, metric_selectors.PICK_CURRENT),
        latest_with_data=selectors.latest_month_with_data,
    )


def _scorecard(request, pk):
    department = dept_selectors.department_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, department):
        raise PermissionDenied
    period = period_for_page(request)
    card = None
    if period is not None:
        cards = selectors.attach_lines(
            org=request.org,
            scorecards=selectors.scorecard_list(
                org=request.org, period_id=period.pk, department_ids=[department.pk]
            ),
        )
        card = cards[0] if cards else None
    return department, period, card


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view(is_member)
def department_scorecard_export(request, pk):
    department, period, card = _scorecard(request, pk)
    if period is None:
        raise Http404
    compare = compare_choice(request.GET.get("compare"))  # as the page showed it
    if card is not None:
        attach_comparisons(org=request.org, cards=[card], compares=[compare])
    content = exports.scorecard_workbook(
        org=request.org,
        department=department,
        period=period,
        card=card,
        by=request.user,
        compare=compare,
    )
    return xlsx_response(
        content, f"scorecard-{department.code}-{period.start:%Y-%m}-{period.kind}.xlsx"
    )


@org_view(is_member)
def department_scorecard(request, pk):
    department, period, card = _scorecard(request, pk)
    compare = compare_choice(request.GET.get("compare"))  # 同比 / 环比 (issue 20)
    if card is not None:
        attach_comparisons(org=request.org, cards=[card], compares=[compare])
        # the manager's notes beside its red and amber lines
        selectors.attach_notes(org=request.org, pairs=[(period, line) for line in card.lines])
        # values awaiting confirmation (or rejected) beside their lines, greyed
        selectors.attach_sign_off(org=request.org, pairs=[(period, line) for line in card.lines])
    comment_form = None
    if request.method == "POST":
        if period is None or not can_comment(request.membership):
            raise PermissionDenied
        comment_form = CommentForm(request.POST, card=card)
        if comment_form.is_valid():
            try:
                comment_add(
                    org=request.org,
                    membership=request.membership,
                    department=department,
                    period=period,
                    kpi=comment_form.cleaned_data["kpi"],
                    text=comment_form.cleaned_data["text"],
                )
            except ValidationError as exc:
                add_service_errors(comment_form, exc)
            else:
                messages.success(request, _("Comment added: the department's managers see it."))
                return redirect(request.get_full_path())
    comments = (
        comment_selectors.attach_comments(
            org=request.org, period=period, department=department, card=card
        )
        if period is not None
        else []
    )
    if comment_form is None and period is not None and can_comment(request.membership):
        comment_form = CommentForm(card=card)
    follow, action_form = _follow_up(request, department, period, card)
    return render(
        request,
        "scorecards/department_scorecard.html",
        {
            "department": department,
            "period": period,
            "card": card,
            "compare": compare,
            "periods": metric_selectors.period_choices(org=request.org),
            "pending": period is not None
            and period.pk in selectors.pending_period_ids(org=request.org),
            "comments": comments,
            "comment_form": comment_form,
            "follow": follow,
            "follow_scope": f"&department={department.pk}",
            "action_form": action_form,
        },
    )


def _follow_up(request, department, period, card):
    """The scorecard's actions: each red or amber line's (`line.actions`), the follow-up
    of the department in the period, and the "Add action" form for those who may plan
    (its subjects: the red and amber lines)."""
    if period is None:
        return None, None
    lines = card.lines if card is not None else []
    action_selectors.attach_line_actions(org=request.org, period=period, lines=lines)
    follow = action_selectors.follow_up(
        org=request.org, period=period, department_ids=[department.pk]
    )
    subjects = [line_subject(line, period) for line in lines if line.status in ACTION_LINE_STATUSES]
    form = None
    if subjects and can_plan_actions(request.membership, department):
        form = ActionForm(
            subjects=subjects,
            members=action_selectors.member_choices(org=request.org),
            owner=request.user.pk,
        )
    return follow, form


@require_POST
@org_view(is_member)
def scorecard_comment_delete(request, pk):
    """Its author (or an admin) takes a comment back (the audit keeps it)."""
    comment = comment_selectors.comment_get(org=request.org, pk=pk)
    comment_delete(org=request.org, membership=request.membership, comment=comment)
    messages.success(request, _("Comment removed."))
    url = reverse("department_scorecard", args=[request.org.slug, comment.department_id])
    return redirect(f"{url}?period={comment.period_id}")


@require_POST
@org_view(can_configure)
def recalculate_period(request, pk):
    period = metric_selectors.period_get(org=request.org, pk=pk)
    run = request_full_recalculation(org=request.org, period=period, by=request.user)
    return redirect("recalculation_status", slug=request.org.slug, pk=run.pk)


@org_view(can_configure)
def recalculation_status(request, pk):
    run = selectors.recalculation_run_get(org=request.org, pk=pk)
    template = "scorecards/recalculation.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"run": run})


@org_view(is_member)
def kpi_detail(request, pk):
    """One KPI over time (actual against its target, from stored scorecard lines) and every
    change of its values: the drill-down below a department scorecard."""
    kpi = metric_selectors.kpi_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, kpi.department):
        raise PermissionDenied
    # The period the user came from (?period=), else the page's default; the window is the
    # 12 months (or quarters) up to it, of the kind asked for, else of the period's kind.
    period = period_for_page(request)
    kind = request.GET.get("kind")
    if kind not in ("month", "quarter"):
        kind = period.kind if period is not None and period.kind == "quarter" else "month"
    trend = selectors.kpi_trend(
        org=request.org, kpi=kpi, kind=kind, until=period.end if period is not None else None
    )
    selectors.attach_notes(org=request.org, pairs=trend)
    selectors.attach_sign_off(org=request.org, pairs=trend)
    # A period of the trend marked for recalculation: its lines may be out of date.
    pending = not selectors.pending_period_ids(org=request.org).isdisjoint(p.pk for p, _ in trend)
    subjects = [
        line_subject(line, p) for p, line in trend if line and line.status in ACTION_LINE_STATUSES
    ]
    action_form = None
    if subjects and can_plan_actions(request.membership, kpi.department):
        action_form = ActionForm(
            subjects=subjects[::-1],  # the most recent first
            members=action_selectors.member_choices(org=request.org),
            owner=request.user.pk,
        )
    # 同比: each period's actual against the same period a year before (issue 20).
    year_before = kpi_year_on_year(org=request.org, kpi=kpi, trend=trend)
    chart = {
        "periods": [p.label for p, _line in trend],
        "unit": kpi.indicator.unit,
        "actual": [chart_value(line.actual) if line else None for _p, line in trend],
        "year_before": [chart_value(d.value) for d in year_before],
        "target": [chart_value(line.target) if line else None for _p, line in trend],
        "score": [chart_number(line.score) if line else None for _p, line in trend],
    }
    return render(
        request,
        "scorecards/kpi_detail.html",
        {
            "kpi": kpi,
            "kind": kind,
            "period": period,
            "periods": metric_selectors.period_choices(org=request.org),
            "pending": pending,
            "trend": trend,
            "rows": list(zip(trend, year_before, strict=True)),
            "compare": YOY,  # what _delta.html names a missing value after
            "chart": chart,
            "history": metric_selectors.actual_history(org=request.org, kpi=kpi),
            "actions": list(action_selectors.action_list(org=request.org, kpi_id=kpi.pk)),
            "action_form": action_form,
            # HR's way to this KPI's targets per period (docs/scoring.md).
            "targets_editor": can_configure(request.membership) and editor_grain(kpi) is not None,
            # Its formula spelled with indicator names, never codes.
            "formula_names": metric_selectors.indicator_names(org=request.org)
            if kpi.indicator.is_formula
            else {},
        },
    )
