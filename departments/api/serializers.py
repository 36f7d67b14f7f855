from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from perfhub.api import PersonName, StrictInput

from ..models import (
    Department,
    DepartmentFunction,
    DepartmentKind,
    Invitation,
    Membership,
    Organization,
    Role,
)
from ..selectors import department_list, membership_list
from ..services import ORG_SETTINGS_FIELDS, SLUG_UNAVAILABLE


class OrganizationOut(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="The caller's role in it.")

    class Meta:
        model = Organization
        fields = [
            "slug",
            "name",
            "role",
            "fiscal_year_start_month",
            "currency",
            "language",
            "amber_line",
            "management_weight",
            "missing_actual_policy",
            "review_frequency",
            "reminder_days_before",
            "feedback_anonymous",
            "feedback_cooperation_kpi",
            "escalate_after_days",
        ]


class OrganizationIn(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=60,
        error_messages={"invalid": SLUG_UNAVAILABLE, "max_length": SLUG_UNAVAILABLE},
    )
    language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")
    currency = serializers.CharField(max_length=3, default="CNY")
    fiscal_year_start_month = serializers.IntegerField(min_value=1, max_value=12, default=1)


class OrganizationSettingsIn(StrictInput, serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = list(ORG_SETTINGS_FIELDS)
        extra_kwargs = {f: {"required": False} for f in fields}


class MemberOut(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = PersonName(source="user")
    email = serializers.CharField(source="user.email", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "user_id",
            "username",
            "name",
            "email",
            "role",
            "is_active",
            "department",
            "title",
            "mobile",
        ]


class InvitationIn(StrictInput, serializers.Serializer):
    """Either `email` or `username` (the service refuses both or neither, by field)."""

    # No default: a default of "" is not an e-mail address, so the schema would be invalid.
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    username = serializers.CharField(required=False, allow_blank=True, max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationOut(serializers.ModelSerializer):
    """What the inviter typed, never anything of an account it may name."""

    email = serializers.SerializerMethodField()
    username = serializers.SerializerMethodField()
    invited_by = serializers.CharField(
        source="invited_by.username", read_only=True, allow_null=True, default=None
    )
    invited_by_name = PersonName(source="invited_by")
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "username",
            "role",
            "status",
            "invited_by",
            "invited_by_name",
            "created_at",
            "expires_at",
        ]

    def get_email(self, obj) -> str | None:
        return obj.target if obj.kind == Invitation.Kind.EMAIL else None

    def get_username(self, obj) -> str | None:
        return obj.target if obj.kind == Invitation.Kind.USERNAME else None


class MemberRoleIn(StrictInput, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class DepartmentOut(serializers.ModelSerializer):
    managers = serializers.SerializerMethodField()

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "kind",
            "function",
            "parent",
            "weight_in_parent",
            "is_active",
            "managers",
        ]

    def get_managers(self, obj) -> list[int]:
        # Prefetched by the selector: no query per row.
        return [u.pk for u in obj.managers.all()]


class OrgScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related id that must belong to the request's organization; another tenant's id gets
    the same answer as one that does not exist."""

    default_error_messages = {"does_not_exist": _("Unknown id.")}

    def __init__(self, *, scoped_queryset, **kwargs):
        self.scoped_queryset = scoped_queryset
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)

    def get_queryset(self):
        org = self.context.get("org")
        return self.scoped_queryset(org)


class DepartmentIn(StrictInput, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    code = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=DepartmentKind.choices)
    function = serializers.ChoiceField(choices=DepartmentFunction.choices)
    parent = OrgScopedPrimaryKeyField(  # type: ignore[assignment]  # Field.parent in the stubs
        scoped_queryset=lambda org: department_list(org=org),
        allow_null=True,
        required=False,
    )
    weight_in_parent = serializers.DecimalField(
        max_digits=7, decimal_places=3, min_value=0, required=False
    )
    is_active = serializers.BooleanField(required=False)
    managers = OrgScopedPrimaryKeyField(
        scoped_queryset=lambda org: get_user_model().objects.filter(
            pk__in=membership_list(org=org, active_only=True).values("user_id")
        ),
        many=True,
        required=False,
    )
