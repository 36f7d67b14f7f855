"""Service ValidationErrors shown on the form that caused them (one rule set for pages and API)."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


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
