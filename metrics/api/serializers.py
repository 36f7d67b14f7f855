"""Input and output shapes of the metrics API (field names of SPEC §2 and §6)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from departments.api.serializers import OrgScopedPrimaryKeyField
from departments.models import DepartmentFunction, DepartmentKind, Role
from departments.selectors import department_list
from perfhub.api import PersonName, StrictInput

from .. import selectors
from ..models import Actual, Indicator, Kpi, Period, PeriodKind, Template, TemplateItem
from ..services.indicators import INDICATOR_FIELDS

VALUE: dict[str, Any] = {"max_digits": 20, "decimal_places": 6}


class IndicatorOut(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", *INDICATOR_FIELDS, "is_computed", "is_builtin"]


class IndicatorIn(StrictInput, serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            f for f in IndicatorOut.Meta.fields if f not in {"id", "is_computed", "is_builtin"}
        ]
        extra_kwargs: dict[str, Any] = {"code": {"validators": []}}


class TemplateItemOut(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = TemplateItem
        fields = ["indicator", "indicator_code", "weight", "target", "threshold", "target_max"]


class TemplateOut(serializers.ModelSerializer):
    items = TemplateItemOut(many=True, read_only=True)

    class Meta:
        model = Template
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "kind",
            "function",
            "description",
            "is_builtin",
            "items",
        ]


class TemplateItemIn(StrictInput, serializers.Serializer):
    indicator = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: selectors.indicator_list(org=org)
    )
    weight = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0)
    target = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    threshold = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    target_max = serializers.DecimalField(required=False, allow_null=True, **VALUE)


class TemplateIn(StrictInput, serializers.Serializer):
    code = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=DepartmentKind.choices, required=False, allow_blank=True)
    function = serializers.ChoiceField(
        choices=DepartmentFunction.choices, required=False, allow_blank=True
    )
    description = serializers.CharField(required=False, allow_blank=True)
    items = TemplateItemIn(many=True)


class ApplyIn(StrictInput, serializers.Serializer):
    departments = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: department_list(org=org), many=True, allow_empty=False
    )


class ApplyOut(serializers.Serializer):
    created = serializers.IntegerField()


class KpiOut(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = Kpi
        fields = [
            "id",
            "department",
            "indicator",
            "indicator_code",
            "weight",
            "target",
            "threshold",
            "target_max",
            "cap",
            "target_period",
            "is_active",
            "confirm_role",
            "confirm_department",
        ]


class KpiIn(StrictInput, serializers.Serializer):
    department = OrgScopedPrimaryKeyField(scoped_queryset=lambda org: department_list(org=org))
    indicator = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: selectors.indicator_list(org=org)
    )
    weight = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0, required=False)
    target = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    threshold = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    target_max = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    cap = serializers.DecimalField(max_digits=7, decimal_places=2, required=False)
    target_period = serializers.ChoiceField(choices=PeriodKind.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    confirm_role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        allow_blank=True,
        help_text="Values count once this role confirms them (hr, executive, admin); blank: none.",
    )
    confirm_department = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: department_list(org=org),
        required=False,
        allow_null=True,
        help_text="Values count once a manager of this department confirms them; null: none.",
    )


class KpiUpdateIn(KpiIn):
    # None removes an inherited field (DRF); the stubs expect a field.
    department = None  # type: ignore[assignment]
    indicator = None  # type: ignore[assignment]


class PeriodOut(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # Field.label

    class Meta:
        model = Period
        fields = [
            "id",
            "kind",
            "fiscal_year",
            "number",
            "label",
            "start",
            "end",
            "due_date",
            "status",
        ]


class GenerateIn(StrictInput, serializers.Serializer):
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)


class ReasonIn(StrictInput, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ActualOut(serializers.ModelSerializer):
    entered_by = serializers.CharField(
        source="entered_by.username", read_only=True, allow_null=True, default=None
    )
    entered_by_name = PersonName(source="entered_by")
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True, default=None
    )
    reviewed_by_name = PersonName(source="reviewed_by")
    # A generated column: DRF would hand its Decimal to the JSON encoder as a number, where
    # every other value is a decimal string.
    counted_value = serializers.DecimalField(
        max_digits=20, decimal_places=6, read_only=True, allow_null=True
    )

    class Meta:
        model = Actual
        fields = [
            "id",
            "kpi",
            "period",
            "department",
            "value",
            "note",
            "version",
            "source",
            "entered_by",
            "entered_by_name",
            "entered_at",
            "status",
            "confirmed_value",
            "counted_value",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
            "review_reason",
        ]


class PendingActualOut(ActualOut):
    """A value in the confirmers' queue, with what it is of."""

    indicator_code = serializers.CharField(source="kpi.indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="kpi.indicator.display_name", read_only=True)
    period_label = serializers.CharField(source="period.label", read_only=True)

    class Meta(ActualOut.Meta):
        fields = [*ActualOut.Meta.fields, "indicator_code", "indicator_name", "period_label"]


class SignOffItemIn(StrictInput, serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    version = serializers.IntegerField(min_value=1, help_text="The version read.")


class ConfirmIn(StrictInput, serializers.Serializer):
    # max_length goes to the list serializer (DRF), which the stubs do not know.
    actuals = SignOffItemIn(many=True, allow_empty=False, max_length=5000)  # type: ignore[call-arg]


class RejectIn(ConfirmIn):
    reason = serializers.CharField(max_length=2000, help_text="Told to who entered the values.")


class SignOffOut(serializers.Serializer):
    done = serializers.IntegerField(help_text="How many values were confirmed or rejected.")


class ActualIn(StrictInput, serializers.Serializer):
    """Values arrive as numbers or strings; metrics.values gives the unit-aware messages."""

    kpi = serializers.IntegerField()
    period = serializers.IntegerField()
    value = serializers.JSONField(
        help_text=(
            "A number, or a string as people type it: 120万, 1.2亿, ¥1,200,000, −1.5%, "
            "full-width digits (docs/entering.md)."
        )
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        default=None,
        help_text="The version read; required to change an actual.",
    )


class ActualUpdateIn(StrictInput, serializers.Serializer):
    value = serializers.JSONField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(min_value=0)


class BulkIn(StrictInput, serializers.Serializer):
    actuals = ActualIn(many=True, allow_empty=False)

    def validate_actuals(self, value):
        if len(value) > 10000:
            raise serializers.ValidationError(_("At most 10,000 actuals per request."))
        return value


class BulkOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    conflicts = serializers.ListField(child=serializers.DictField())


class PeriodTargetIn(StrictInput, serializers.Serializer):
    period = serializers.IntegerField(min_value=1, help_text="A month or quarter of the year.")
    target = serializers.DecimalField(**VALUE)
    threshold = serializers.DecimalField(required=False, allow_null=True, **VALUE)
    target_max = serializers.DecimalField(required=False, allow_null=True, **VALUE)


class PeriodTargetsIn(StrictInput, serializers.Serializer):
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2999)
    targets = PeriodTargetIn(  # type: ignore[call-arg]  # many=True: a ListSerializer's
        many=True,
        max_length=16,
        help_text="The KPI's own targets in the year; those not listed are removed.",
    )

    def validate_targets(self, value):
        seen = [t["period"] for t in value]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError(_("A period is listed more than once."))
        return value


class PeriodTargetCellOut(serializers.Serializer):
    period = serializers.IntegerField(source="period.pk")
    period_kind = serializers.CharField(source="period.kind")
    label = serializers.CharField(source="period.label")  # type: ignore[assignment]  # Field.label
    target = serializers.DecimalField(source="own.target", allow_null=True, default=None, **VALUE)
    threshold = serializers.DecimalField(
        source="own.threshold", allow_null=True, default=None, **VALUE
    )
    target_max = serializers.DecimalField(
        source="own.target_max", allow_null=True, default=None, **VALUE
    )
    effective_target = serializers.DecimalField(
        source="effective", allow_null=True, max_digits=32, decimal_places=6
    )


class PeriodTargetTotalOut(serializers.Serializer):
    period = serializers.IntegerField(source="period.pk")
    period_kind = serializers.CharField(source="period.kind")
    label = serializers.CharField(source="period.label")  # type: ignore[assignment]  # Field.label
    effective_target = serializers.DecimalField(
        source="effective", allow_null=True, max_digits=32, decimal_places=6
    )
    from_periods = serializers.BooleanField()


class PeriodTargetsOut(serializers.Serializer):
    kpi = serializers.IntegerField(source="kpi.pk")
    fiscal_year = serializers.IntegerField()
    grain = serializers.CharField(allow_null=True, help_text="The kind of period of the cells.")
    periods = PeriodTargetCellOut(source="cells", many=True)
    totals = PeriodTargetTotalOut(many=True)
