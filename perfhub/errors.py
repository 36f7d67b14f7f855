"""Service ValidationErrors shown on the form that caused them (one rule set for pages and API)."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import UniqueConstraint


def add_service_errors(form, exc: ValidationError) -> None:
    """Put each message beside its field, or above the form when the form has no such field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [messages]} of a ValidationError, for JSON answers."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): v
            for k, v in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def save_unique(instance, **save_kwargs) -> None:
    """Save a row whose full_clean() passed. If a concurrent request saved the same unique
    value in the meantime (both checks passed, the database let one in), refuse it as
    full_clean() would have - a message on the field - instead of a server error."""
    try:
        with transaction.atomic():
            instance.save(**save_kwargs)
    except IntegrityError as exc:
        field = _unique_field(type(instance), exc)
        if field is None:
            raise
        message = instance.unique_error_message(type(instance), (field,))
        raise ValidationError({field: [message]}) from exc


def _unique_field(model, exc: IntegrityError) -> str | None:
    """The one field (besides the organization) of the unique constraint that failed."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    if not name:
        return None
    fields: list[str] = []
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.name == name:
            fields = [f for f in constraint.fields if f != "organization"]
    for field in model._meta.local_fields:
        if (
            field.unique
            and not field.primary_key
            and name == f"{model._meta.db_table}_{field.column}_key"
        ):
            fields = [field.name]
    return fields[0] if len(fields) == 1 else None
