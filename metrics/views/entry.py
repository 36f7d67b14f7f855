"""The manager's "my entries" page and a KPI's value history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from departments.access import org_view
from departments.permissions import (
    can_configure,
    can_enter_actuals,
    can_view_department,
    is_manager,
)

from .. import selectors
from ..models import PeriodKind
from ..services.actuals import ActualInput, ActualsRefused, actuals_save
from ..values import ValueRefused, parse_number

can_enter = can_configure | is_manager


def _whole(text) -> int | None:
    """A non-negative whole number from a form or query value, else None ("²" and "١٢"
    pass str.isdigit() but not int())."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _department_ids(request):
    if can_configure(request.membership):
        wanted = _whole(request.GET.get("department"))
        if wanted is not None:
            return [wanted]
        return None  # every department
    return sorted(request.membership.managed_ids)


def _same_number(typed: str, shown: str) -> bool:
    """Whether the cell still holds the number the page showed, however it is written now
    ("1,700,000" for "1700000": the page shows separators while a cell is not edited)."""
    if typed == shown:
        return True
    try:
        number = parse_number(typed)
        return number is not None and number == parse_number(shown)
    except ValueRefused:
        return False


def _entries_from_post(post, grids, period):
    """Only the cells the user changed (value or note differ from what the page showed):
    an untouched cell must not conflict with someone else's newer value."""
    entries = []
    for grid in grids:
        for row in grid.rows:
            if not row.typed:
                continue
            key = row.kpi.pk
            value = post.get(f"v-{key}", "").strip()
            note = post.get(f"n-{key}", "").strip()
            shown_value = post.get(f"o-{key}", "")
            shown_note = row.actual.note if row.actual else ""
            if value == "" and not row.actual:
                continue
            if _same_number(value, shown_value) and note == shown_note:
                continue
            version = _whole(post.get(f"ver-{key}"))
            entries.append(
                ActualInput(
                    kpi_id=key,
                    period_id=period.pk,
                    value=value,
                    note=note,
                    version=version or None,
                    ref=str(key),
                )
            )
    return entries


@org_view(can_enter)
def my_entries(request):
    org = request.org
    periods = list(selectors.period_choices(org=org, kind=PeriodKind.MONTH))
    period = selectors.period_pick(
        org=org,
        wanted=_whole(request.POST.get("period") or request.GET.get("period")),
        wanted_kind=PeriodKind.MONTH,
    )
    if period is None:
        return render(request, "metrics/entry/no_period.html", {})
    if period.kind != PeriodKind.MONTH:  # quarterly or yearly KPIs: same page, that period
        periods = list(selectors.period_choices(org=org, kind=period.kind))
    department_ids = _department_ids(request)
    grids = selectors.entry_grids(org=org, period=period, department_ids=department_ids)
    errors, conflicts, posted = {}, {}, {}
    if request.method == "POST":
        if period.is_locked:
            messages.error(request, _("%s is locked: nothing can be changed.") % period.label)
            return redirect(f"{request.path}?period={period.pk}")
        entries = _entries_from_post(request.POST, grids, period)
        try:
            result = actuals_save(
                org=org,
                by=request.user,
                source="web",
                entries=entries,
                can_enter=lambda d: can_enter_actuals(request.membership, d),
            )
        except ActualsRefused as exc:
            errors = {int(k): v for k, v in exc.errors.items() if k.isdigit()}
            conflicts = {int(c.ref): c for c in exc.conflicts}
            posted = request.POST
            count = len(errors) + len(conflicts)
            messages.error(
                request,
                ngettext(
                    "Nothing was saved: %(n)s value needs your attention (marked below).",
                    "Nothing was saved: %(n)s values need your attention (marked below).",
                    count,
                )
                % {"n": count},
            )
        except PermissionDenied:
            raise
        else:
            messages.success(
                request,
                _("Saved: %(c)s new, %(u)s changed. Scorecards are being recalculated.")
                % {"c": result.created, "u": result.updated},
            )
            return redirect(f"{request.path}?period={period.pk}")
    return render(
        request,
        "metrics/entry/my_entries.html",
        {
            "period": period,
            "periods": periods,  # locked ones too: shown read-only
            "grids": grids,
            "errors": errors,
            "conflicts": conflicts,
            "posted": posted,
            "readonly": period.is_locked,
        },
    )


@org_view(lambda m: m is not None)
def kpi_history(request, pk):
    kpi = selectors.kpi_get(org=request.org, pk=pk)
    if not can_view_department(request.membership, kpi.department):
        raise PermissionDenied
    history = selectors.actual_history(org=request.org, kpi=kpi)
    return render(request, "metrics/entry/history.html", {"kpi": kpi, "history": history})


@org_view(can_configure)
def entry_completeness(request):
    """For HR: which departments have entered which KPIs of a period, who is late."""
    org = request.org
    period = selectors.period_pick(org=org, wanted=request.GET.get("period"))
    data = selectors.completeness(org=org, period=period) if period else {}
    rows = data.get("rows", [])
    data["late_count"] = sum(1 for r in rows if r.missing)
    data["orphans"] = [r for r in rows if r.missing and not r.managers]
    return render(
        request,
        "metrics/entry/completeness.html",
        {"period": period, "periods": selectors.period_choices(org=org), **data},
    )


urlpatterns = [
    path("entries/", my_entries, name="my_entries"),
    path("entries/completeness/", entry_completeness, name="entry_completeness"),
    path("kpis/<int:pk>/history/", kpi_history, name="kpi_history"),
]
