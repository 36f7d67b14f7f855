from rest_framework import serializers

from departments.models import ROUTABLE_KINDS
from perfhub.api import StrictInput

from ..models import Channel, ChannelKind, Delivery


class ChannelIn(StrictInput, serializers.Serializer):
    """Write-only secrets: `webhook_url` and `secret` are set or replaced, never returned;
    left out (or blank) on an update, the stored ones stay."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    name = serializers.CharField(max_length=100)
    webhook_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    secret = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True
    )
    clear_secret = serializers.BooleanField(required=False, default=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    department = serializers.IntegerField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False, default=True)


class ChannelOut(serializers.ModelSerializer):
    has_secret = serializers.BooleanField(read_only=True)
    webhook = serializers.CharField(source="webhook_hint", read_only=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "kind",
            "name",
            "webhook",
            "has_secret",
            "email",
            "department",
            "is_active",
            "created_at",
        ]


class RouteItem(StrictInput, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ROUTABLE_KINDS)
    channel = serializers.IntegerField()


class RoutesIn(StrictInput, serializers.Serializer):
    routes = RouteItem(many=True)


class RoutesOut(serializers.Serializer):
    routes = RouteItem(many=True)


class DeliveryOut(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "kind",
            "event_key",
            "title",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        ]
