"""Filters of the metrics API. Related ids are filtered as plain numbers on the already
org-scoped queryset: no lookup of the related row, so another tenant's id simply matches
nothing (and reveals nothing)."""

import django_filters

from ..models import Actual, Indicator, Kpi, Period


class IndicatorFilter(django_filters.FilterSet):
    class Meta:
        model = Indicator
        fields = ["kind", "unit", "direction", "aggregation", "is_active"]


class KpiFilter(django_filters.FilterSet):
    department = django_filters.NumberFilter(field_name="department_id")
    indicator = django_filters.NumberFilter(field_name="indicator_id")

    class Meta:
        model = Kpi
        fields = ["department", "indicator", "is_active"]


class PeriodFilter(django_filters.FilterSet):
    class Meta:
        model = Period
        fields = ["kind", "status", "fiscal_year"]


class ActualFilter(django_filters.FilterSet):
    period = django_filters.NumberFilter(field_name="period_id")
    department = django_filters.NumberFilter(field_name="department_id")
    kpi = django_filters.NumberFilter(field_name="kpi_id")

    class Meta:
        model = Actual
        fields = ["period", "department", "kpi"]
