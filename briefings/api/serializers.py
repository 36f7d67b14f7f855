from rest_framework import serializers

from departments.models import Language
from perfhub.api import StrictInput

from ..models import Briefing


class BriefingIn(StrictInput, serializers.Serializer):
    period = serializers.IntegerField()
    language = serializers.ChoiceField(choices=Language.choices)


class BriefingOut(serializers.ModelSerializer):
    period_label = serializers.CharField(source="period.label", read_only=True)
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True
    )
    file_name = serializers.CharField(read_only=True)

    class Meta:
        model = Briefing
        fields = [
            "id",
            "period",
            "period_label",
            "language",
            "state",
            "error",
            "scheduled",
            "requested_by",
            "created_at",
            "finished_at",
            "file_name",
        ]
