"""Pages of grades (SPEC §9): a graded period's grades — calibrated by HR and executives,
read by managers once published — and the organization's scale and policy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from departments import selectors as dept_selectors
from departments.access import org_view
from departments.permissions import is_member, visible_department_ids
from metrics import selectors as metric_selectors
from perfhub.errors import add_service_errors

from . import rules, selectors, services
from .exports import XLSX, grades_workbook
from .forms import MAX_GRADES, BandFormSet, MoveForm, PolicyForm, PublishForm, ReopenForm
from .services import can_calibrate, can_manage_grades


def _pick(request, kinds):
    """The graded period asked for, else the latest graded one that has ended (a quarter
    before the year ending the same day), else the latest that has started."""
    periods = list(metric_selectors.period_choices(org=request.org).filter(kind__in=kinds))
    wanted = request.GET.get("period") or request.POST.get("period")
    if wanted:
        period = next((p for p in periods if str(p.pk) == wanted), None)
        if period is None:
            raise Http404
        return period, periods
    today = timezone.localdate()
    ended = [p for p in periods if p.end < today]
    if ended:
        return max(ended, key=lambda p: (p.end, -(p.end - p.start).days)), periods
    started = [p for p in periods if p.start <= today]
    return (max(started, key=lambda p: p.start) if started else None), periods


PERIOD_FIELDS = ("grade_months", "grade_quarters", "grade_years")


def _url(request, period) -> str:
    return reverse("grade_board", args=[request.org.slug]) + f"?period={period.pk}"


@org_view(is_member)
def grade_board(request):
    """The grades of a graded period: HR and executives calibrate them (moves with reasons,
    each group's distribution against the guideline, publication, reopening); a manager
    reads the published grades of their departments and why."""
    policy = selectors.policy_get(org=request.org)
    period, periods = _pick(request, selectors.graded_kinds(policy))
    calibrates = bool(can_calibrate(request.membership))
    context = {"period": period, "periods": periods, "calibrates": calibrates}
    if period is None:
        return render(request, "grades/board.html", context)
    calibration = selectors.calibration_list(org=request.org).filter(period=period).first()
    forms = {"move": MoveForm(), "publish": PublishForm(), "reopen": ReopenForm()}
    if request.method == "POST":
        done = _act(request, period, calibration, forms)
        if done:
            messages.success(request, done)
            return redirect(_url(request, period))
        calibration = selectors.calibration_list(org=request.org).filter(period=period).first()
    visible = visible_department_ids(request.membership)
    board = selectors.calibration_board(
        org=request.org, period=period, calibration=calibration, department_ids=visible
    )
    if not calibrates and not board.published:
        board.rows = []  # a manager sees grades once they are published
    context.update(
        board=board,
        forms=forms,
        opens=bool(can_manage_grades(request.membership)),
        grades=[b.label for b in board.bands],
        groups=_groups(board),
        editing=calibrates and calibration is not None and not board.published,
    )
    return render(request, "grades/board.html", context)


def _act(request, period, calibration, forms) -> str | None:
    """Take the posted action through the services: the success message, or None with the
    errors put on the form that was posted."""
    action = request.POST.get("action", "")
    org, membership = request.org, request.membership
    try:
        if action == "open":
            services.calibration_open(org=org, membership=membership, period=period)
            return _("Calibration opened: move grades where needed, then publish.")
        if calibration is None or action not in ("move", "publish", "reopen"):
            raise PermissionDenied
        form = forms[action] = {"move": MoveForm, "publish": PublishForm, "reopen": ReopenForm}[
            action
        ](request.POST)
        if not form.is_valid():
            return None
        data = form.cleaned_data
        if action == "move":
            department = dept_selectors.department_get(org=org, pk=data["department"])
            services.calibration_move(
                org=org,
                membership=membership,
                calibration=calibration,
                department=department,
                grade=data["grade"],
                reason=data["reason"],
            )
            return _("%(department)s: grade %(grade)s.") % {
                "department": department.display_name,
                "grade": data["grade"],
            }
        if action == "publish":
            services.calibration_publish(
                org=org,
                membership=membership,
                calibration=calibration,
                override_reason=data["override_reason"],
            )
            return _("Grades published: managers can read them, payroll can export them.")
        services.calibration_reopen(
            org=org, membership=membership, calibration=calibration, reason=data["reason"]
        )
        return _("Grades reopened.")
    except ValidationError as exc:
        target = forms.get(action) or forms["publish"]
        add_service_errors(target, exc)
        if action == "move":
            target.failed_department = request.POST.get("department")
        return None


def _groups(board) -> list[tuple]:
    """Each group's check with its limits, each beside the sentence explaining its
    rounding (SPEC §9)."""
    out = []
    for check in board.checks:
        limits = []
        for limit in check.limits:
            exact = limit.percent * check.n / 100
            if limit.kind == rules.MAX:
                text = _(
                    "At most %(p)s %% of %(n)d = %(exact)s, rounded to %(bound)d "
                    "(half up, never fewer than one)."
                )
            else:
                text = _("At least %(p)s %% of %(n)d = %(exact)s, rounded down to %(bound)d.")
            values = {
                "p": f"{limit.percent.normalize():f}",
                "n": check.n,
                "exact": f"{exact.normalize():f}" if exact else "0",
                "bound": limit.bound,
            }
            limits.append((limit, text % values))
        out.append((check, limits))
    return out


@org_view(can_manage_grades)
def grade_scale(request):
    """The organization's scale (grades, lowest scores, coefficients, guideline shares)
    and what it grades: HR and admins edit them; every change is audited."""
    policy = selectors.policy_get(org=request.org)
    bands = selectors.scale_get(org=request.org)
    initial = [
        {
            "label": b.label,
            "lowest": b.lowest,
            "coefficient": b.coefficient,
            "share_kind": b.share_kind,
            "share_percent": b.share_percent,
        }
        for b in bands
    ]
    initial += [{}] * (MAX_GRADES - len(initial))
    post = request.POST if request.method == "POST" else None
    formset = BandFormSet(post, initial=initial, prefix="band")
    policy_form = PolicyForm(
        post,
        initial={
            "grade_months": policy.grade_months,
            "grade_quarters": policy.grade_quarters,
            "grade_years": policy.grade_years,
            "grouping": policy.grouping,
            "publish_rule": policy.publish_rule,
        },
    )
    if post is not None and formset.is_valid() and policy_form.is_valid():
        used = [(i, f) for i, f in enumerate(formset.forms) if not f.is_blank()]
        try:
            services.grading_save(
                org=request.org,
                membership=request.membership,
                bands=[
                    rules.Band(
                        label=f.cleaned_data["label"] or "",
                        lowest=f.cleaned_data["lowest"],
                        coefficient=f.cleaned_data["coefficient"],
                        share_kind=f.cleaned_data["share_kind"] or "",
                        share_percent=f.cleaned_data["share_percent"],
                    )
                    for _i, f in used
                ],
                **policy_form.cleaned_data,
            )
        except ValidationError as exc:
            _put_errors(exc, formset, policy_form, [i for i, _f in used])
        else:
            messages.success(request, _("Grade scale saved."))
            return redirect("grade_scale", slug=request.org.slug)
    return render(
        request,
        "grades/scale.html",
        {
            "formset": formset,
            "policy_form": policy_form,
            "period_fields": [
                policy_form[n] for n in ("grade_months", "grade_quarters", "grade_years")
            ],
            "rule_fields": [policy_form[n] for n in ("grouping", "publish_rule")],
        },
    )


def _put_errors(exc, formset, policy_form, rows) -> None:
    """`bands.<i>.<field>` beside the cell of the i-th grade used; the rest on the policy
    form (or above the scale)."""
    names = {"lowest": "lowest", "label": "label", "coefficient": "coefficient"}
    for key, errors in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "bands" and len(parts) == 3:
            form = formset.forms[rows[int(parts[1])]]
            field = names.get(parts[2], parts[2])
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        elif key == "bands":
            for error in errors:
                policy_form.add_error(None, error)
        else:
            for error in errors:
                policy_form.add_error(key if key in policy_form.fields else None, error)


@org_view(can_calibrate)
def grade_export(request, pk):
    """The published grades with their coefficients as Excel, for payroll."""
    calibration = get_object_or_404(selectors.calibration_list(org=request.org), pk=pk)
    try:
        content = grades_workbook(
            org=request.org,
            calibration=calibration,
            language=request.LANGUAGE_CODE,
            by=request.user,
        )
    except ValidationError as exc:  # not published (any more): nothing to hand to payroll
        raise Http404 from exc
    response = HttpResponse(content, content_type=XLSX)
    period = calibration.period
    name = f"grades-{period.start:%Y-%m}-{period.kind}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
