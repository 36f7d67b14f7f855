"""Reading a typed value (page cell, spreadsheet cell, API field) into a Decimal, with a clear
message saying why a value is refused. One set of rules for every way actuals come in."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from perfhub.numbers import NotANumberCharacter, check_number_characters

MAX_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_NON_NEGATIVE_UNITS = {"count", "minutes", "hours", "days", "ratio", "score"}


class ValueRefused(ValueError):
    """The value cannot be stored; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_number(raw) -> Decimal | None:
    """A number from text or a spreadsheet/JSON number; None for an empty cell.

    Accepts full-width digits, thousands separators ("5,000,000") and a trailing "%";
    refuses a decimal comma ("1,5"), NaN, infinity, anything too long to store, and any
    character other than those (perfhub.numbers: "10²" is not 102)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueRefused(_("Enter a number, not true/false."))
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueRefused(_("Enter a finite number (not NaN or infinity)."))
        value = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        try:
            text = check_number_characters(raw)
        except NotANumberCharacter as exc:
            raise ValueRefused(exc.message) from None
        text = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
        if text == "":
            return None
        if text.endswith("%"):
            text = text[:-1]
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        elif "," in text:
            raise ValueRefused(
                _("Use a point for decimals (1.5, not 1,5); commas only between thousands.")
            )
        if not _PLAIN.match(text):
            if text.lower().lstrip("+-") in {"nan", "inf", "infinity", "snan"}:
                raise ValueRefused(_("Enter a finite number (not NaN or infinity)."))
            raise ValueRefused(_("“%(value)s” is not a number.") % {"value": raw[:40]})
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueRefused(_("“%(value)s” is not a number.") % {"value": raw[:40]}) from exc
    else:
        raise ValueRefused(_("Enter a number."))
    if not value.is_finite():
        raise ValueRefused(_("Enter a finite number (not NaN or infinity)."))
    _check_digits(value)
    return value


def _check_digits(value: Decimal) -> None:
    if value != 0 and value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueRefused(
            _("Too large: at most %(n)s digits before the decimal point.")
            % {"n": MAX_INTEGER_DIGITS}
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        raise ValueRefused(
            _("Too many decimals: at most %(n)s digits after the decimal point.")
            % {"n": MAX_DECIMAL_PLACES}
        )


def check_unit(value: Decimal, unit: str) -> Decimal:
    """Refuse values that cannot be right for the unit."""
    if unit == "percent" and not (Decimal(0) <= value <= Decimal(1000)):
        raise ValueRefused(_("A percentage must be between 0 and 1000."))
    if unit in _NON_NEGATIVE_UNITS and value < 0:
        raise ValueRefused(_("This value cannot be negative."))
    if unit == "count" and value != value.to_integral_value():
        raise ValueRefused(_("A count is a whole number."))
    return value


def parse_value(raw, unit: str) -> Decimal | None:
    """parse_number then check_unit; None for an empty input."""
    value = parse_number(raw)
    return None if value is None else check_unit(value, unit)
