"""`{% load names %}` then `{{ user|display_name }}`: a person's name (perfhub.names)."""

from django import template

from perfhub.names import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    """The user's full name in the right order, else their username; "" for none."""
    return _display_name(user) if user else ""
