"""Which characters a number typed by a person may hold, for every place that reads one
(actual values, API and form number fields, spreadsheet cells).

Python reads any Unicode digit as a digit, and the NFKC normalization used to accept
full-width digits turns "10²" into "102", "⑤" into "5" and "𝟏𝟐" into "12": a value that
would be stored as something nobody typed. So before anything else, every character must be
ASCII, or one of the full-width forms a Chinese input method types (０-９ ． ， － ＋ ％),
the minus sign U+2212 or a space (no-break, narrow or ideographic); any other is refused by
name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

FULL_WIDTH = frozenset("０１２３４５６７８９．，－＋％")
MINUS = "\u2212"  # −, as word processors write it
SPACES = frozenset("\u00a0\u202f\u3000")


class NotANumberCharacter(ValueError):
    def __init__(self, char: str):
        self.char = char
        self.message = _("“%(char)s” is not allowed in a number.") % {"char": char}
        super().__init__(self.message)


def check_number_characters(text: str) -> str:
    """`text` with the minus sign U+2212 as "-"; raises NotANumberCharacter naming the first
    character that is not allowed."""
    for char in text:
        if not char.isascii() and char not in FULL_WIDTH and char not in SPACES and char != MINUS:
            raise NotANumberCharacter(char)
    return text.replace(MINUS, "-")


class _CheckedCharacters:
    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = check_number_characters(value)
            except NotANumberCharacter as exc:
                raise forms.ValidationError(exc.message, code="invalid") from None
        return super().to_python(value)


class DecimalField(_CheckedCharacters, forms.DecimalField):
    """forms.DecimalField refusing lookalike digits by name."""


class IntegerField(_CheckedCharacters, forms.IntegerField):
    """forms.IntegerField refusing lookalike digits by name."""
