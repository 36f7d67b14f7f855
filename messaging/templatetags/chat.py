"""`{{ name|chat }}`: a name typed by a user, made inert in a chat message's markdown (its
link, mention and HTML brackets become full-width look-alikes, so a department called
`[x](https://evil)` stays text)."""

from django import template

register = template.Library()

_INERT = str.maketrans({"[": "［", "]": "］", "<": "‹", ">": "›", "\n": " ", "\r": " "})


@register.filter
def chat(value) -> str:
    return str(value).translate(_INERT)
