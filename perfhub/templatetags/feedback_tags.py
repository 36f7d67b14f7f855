"""What every page says after an action: the banner of form errors at the top of the page
(base.html), whatever form of the page was refused and wherever it sits."""

from django import template
from django.forms import BaseForm, BaseFormSet

register = template.Library()


def _forms_with_errors(context) -> list[BaseForm]:
    """Every bound form of the page's context with errors (formsets' forms included),
    each once, in the order the context holds them."""
    found: dict[int, BaseForm] = {}
    for value in context.flatten().values():
        if isinstance(value, BaseFormSet) and value.is_bound:
            forms = [*value.forms]
            for form in forms:
                if form.errors:
                    found.setdefault(id(form), form)
            if value.non_form_errors():
                found.setdefault(id(value), value)  # type: ignore[arg-type]
        elif isinstance(value, BaseForm) and value.is_bound and value.errors:
            found.setdefault(id(value), value)
    return list(found.values())


def _entries(form) -> list[dict]:
    """(label, message, anchor) per error: the anchor is the field's id, or the one the
    view gave it (`form.error_anchors`), so the banner's link jumps to the field."""
    if isinstance(form, BaseFormSet):
        return [{"label": "", "message": m, "anchor": ""} for m in form.non_form_errors()]
    anchors = getattr(form, "error_anchors", {})
    entries = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        if field is None:  # non-field errors
            entries += [{"label": "", "message": m, "anchor": ""} for m in errors]
            continue
        bound = form[name]
        anchor = anchors.get(name) or bound.id_for_label
        entries += [{"label": bound.label, "message": m, "anchor": anchor} for m in errors]
    return entries


@register.inclusion_tag("_error_banner.html", takes_context=True)
def error_banner(context):
    """The banner at the top of the page listing every error of the page's refused forms,
    each with a link to its field (no queries: forms already validated)."""
    return {"errors": [e for form in _forms_with_errors(context) for e in _entries(form)]}
