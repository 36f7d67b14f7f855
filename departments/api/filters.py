import django_filters

from ..models import Department


class DepartmentFilter(django_filters.FilterSet):
    """The parent is filtered by id on the org-scoped queryset (no lookup of the row)."""

    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Department
        fields = ["kind", "function", "parent", "is_active"]
