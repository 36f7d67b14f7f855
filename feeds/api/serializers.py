from rest_framework import serializers

from perfhub.api import StrictInput

from ..models import AllowedHost, DataFeed, FeedKind, FeedRun, FileFormat


class AllowedHostIn(StrictInput, serializers.Serializer):
    address = serializers.CharField(max_length=253)
    port = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=65535)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AllowedHostOut(serializers.ModelSerializer):
    class Meta:
        model = AllowedHost
        fields = ["id", "address", "port", "note", "created_at"]


class FeedIn(StrictInput, serializers.Serializer):
    """Write-only secrets: `url` and `password` are set or replaced, never returned; left
    out (or blank) on an update, the stored ones stay."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=FeedKind.choices)
    url = serializers.CharField(max_length=1000, required=False, allow_blank=True, write_only=True)
    password = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True, trim_whitespace=False
    )
    clear_password = serializers.BooleanField(required=False, default=False)
    query = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    file_format = serializers.ChoiceField(
        choices=[("", ""), *FileFormat.choices], required=False, default=""
    )
    department_column = serializers.CharField(max_length=100)
    kpi_column = serializers.CharField(max_length=100)
    period_column = serializers.CharField(max_length=100)
    value_column = serializers.CharField(max_length=100)
    note_column = serializers.CharField(max_length=100, required=False, allow_blank=True)
    schedule = serializers.CharField(max_length=100, required=False, allow_blank=True)
    wins_over_people = serializers.BooleanField(required=False, default=False)
    is_enabled = serializers.BooleanField(required=False, default=True)
    alert_after = serializers.IntegerField(required=False, default=3, min_value=1, max_value=100)


class FeedOut(serializers.ModelSerializer):
    address = serializers.CharField(source="url_hint", read_only=True)
    has_password = serializers.BooleanField(read_only=True)

    class Meta:
        model = DataFeed
        fields = [
            "id",
            "name",
            "kind",
            "address",
            "has_password",
            "query",
            "file_format",
            "department_column",
            "kpi_column",
            "period_column",
            "value_column",
            "note_column",
            "schedule",
            "wins_over_people",
            "is_enabled",
            "alert_after",
            "consecutive_failures",
            "last_success_at",
            "created_at",
        ]


class FeedRunOut(serializers.ModelSerializer):
    class Meta:
        model = FeedRun
        fields = [
            "id",
            "feed",
            "trigger",
            "dry_run",
            "state",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "read",
            "created",
            "changed",
            "unchanged",
            "skipped",
            "refused",
            "problems",
            "skipped_rows",
            "changes",
            "message",
        ]
