from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from departments.models import IdentityProvider


class UploadIn(serializers.Serializer):
    file = serializers.FileField(help_text=_("An .xlsx or .csv org chart or contacts export."))
    platform = serializers.ChoiceField(
        choices=IdentityProvider.choices, required=False, allow_blank=True, default=""
    )


class OrgChartConfirmIn(serializers.Serializer):
    send_links = serializers.BooleanField(required=False, default=False)
    digest = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text=_(
            "The digest of the preview you read; the confirm is refused (409) if the "
            "organization changed since."
        ),
    )


class RowErrorOut(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class PreviewOut(serializers.Serializer):
    departments_new = serializers.ListField(child=serializers.DictField())
    departments_changed = serializers.ListField(child=serializers.DictField())
    people_new = serializers.ListField(child=serializers.DictField())
    people_changed = serializers.ListField(child=serializers.DictField())
    missing = serializers.ListField(child=serializers.DictField())
    unchanged = serializers.IntegerField()


class UploadOut(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    platform = serializers.CharField()
    status = serializers.CharField()
    digest = serializers.CharField(help_text=_("Of the preview: send it back to confirm."))
    created_at = serializers.DateTimeField()
    applied_at = serializers.DateTimeField(allow_null=True)
    result = serializers.DictField()
    preview = PreviewOut()
    # A declared field named like Serializer.errors: DRF's metaclass takes it out of the
    # class, so the property stays (this serializer only writes answers).
    errors = RowErrorOut(many=True)  # type: ignore[assignment]


class DeactivatedOut(serializers.Serializer):
    deactivated = serializers.IntegerField()


class ImportProblemOut(serializers.Serializer):
    detail = serializers.CharField()
    # A declared field named like Serializer.errors: DRF's metaclass takes it out of the
    # class, so the property stays (this serializer only writes answers).
    errors = RowErrorOut(many=True)  # type: ignore[assignment]
