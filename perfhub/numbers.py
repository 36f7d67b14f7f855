"""Which characters a number typed by a person may hold, for every place that reads one
(actual values, API and form number fields, spreadsheet cells).

Python reads any Unicode digit as a digit, and the NFKC normalization used to accept
full-width digits turns "10²" into "102", "⑤" into "5" and "𝟏𝟐" into "12": a value that
would be stored as something nobody typed. So before anything else, every character must be
ASCII, or one of the full-width forms a Chinese input method types (０-９ ． ， － ＋ ％ ＄),
the minus sign U+2212, a space (no-break, narrow or ideographic), 万 or 亿, or a currency
sign (¥ ￥ € 元); any other is refused by name.

Then `read_number` reads the text as people type it (issue 16 §5): 万 and 亿 after the
number ("120万" is 1200000, "1.2亿" 120000000), thousands separators ("1,200,000", also the
Chinese "，"), a currency sign or code before or after it (¥ ￥ $ € RMB CNY, 元 after), a
trailing percent sign, and a leading minus in any of its forms (- − －). It reports the
marks it removed; what they mean for a value (a "%" for a percentage, a "¥" for an amount)
is for the caller to judge (metrics.values.parse_value). Every refusal names the real
problem: "12,34" is ambiguous, not "use a decimal point"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _

FULL_WIDTH = frozenset("０１２３４５６７８９．，－＋％＄")
MINUS = "\u2212"  # −, as word processors write it
SPACES = frozenset("\u00a0\u202f\u3000")
# 万 (10^4) and 亿 (10^8) after the number; the currency signs people type in China and
# abroad (¥ U+00A5, ￥ U+FFE5, € U+20AC; $ is ASCII) and 元 after an amount.
MULTIPLIERS = {"万": 4, "亿": 8}
CURRENCY_CHARACTERS = frozenset("¥￥€元")
_PREFIX_CURRENCIES = ("RMB", "CNY", "¥", "$", "€")
_SUFFIX_CURRENCIES = ("RMB", "CNY", "元")
_ALLOWED = FULL_WIDTH | SPACES | CURRENCY_CHARACTERS | frozenset(MULTIPLIERS) | {MINUS}

_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$", re.ASCII)
_PLAIN = re.compile(r"^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_NOT_FINITE = {"nan", "snan", "inf", "infinity"}


class NumberRefused(ValueError):
    """Text that is not a number; `message` says why, in the user's language."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotANumberCharacter(NumberRefused):
    def __init__(self, char: str):
        self.char = char
        super().__init__(_("“%(char)s” is not allowed in a number.") % {"char": char})


@dataclass(frozen=True)
class TypedNumber:
    """A number read from text: its value (万/亿 applied) and the marks typed with it."""

    value: Decimal
    percent: bool = False  # a "%" followed it
    currency: str = ""  # the currency mark typed: "¥", "$", "€", "RMB", "CNY" or "元"


def check_number_characters(text: str) -> str:
    """`text` with the minus sign U+2212 as "-"; raises NotANumberCharacter naming the first
    character that is not allowed."""
    for char in text:
        if not char.isascii() and char not in _ALLOWED:
            raise NotANumberCharacter(char)
    return text.replace(MINUS, "-")


def _not_a_number(raw: str) -> NumberRefused:
    return NumberRefused(_("“%(value)s” is not a number.") % {"value": raw[:40]})


def _strip_prefix(text: str, marks: tuple[str, ...]) -> tuple[str, str]:
    for mark in marks:
        if text.upper().startswith(mark):
            return text[len(mark) :], mark
    return text, ""


def _strip_suffix(text: str, marks: tuple[str, ...]) -> tuple[str, str]:
    for mark in marks:
        if text.upper().endswith(mark):
            return text[: -len(mark)], mark
    return text, ""


def _ambiguous(raw: str, body: str) -> NumberRefused:
    """A comma that cannot separate thousands: say so, and show the decimal reading."""
    whole, _comma, fraction = body.rpartition(",")
    whole = whole.replace(",", "").replace(".", "")
    decimal = f"{whole}.{fraction}" if whole.isdigit() and fraction.isdigit() else "12.34"
    return NumberRefused(
        _(
            "“%(value)s” is ambiguous: write %(decimal)s with a point for decimals, or put "
            "commas only between groups of three digits (1,234,567)."
        )
        % {"value": raw[:40], "decimal": decimal}
    )


def read_number(raw: str | None) -> TypedNumber | None:
    """The number in `raw` as a person typed it; None when nothing but spaces was typed.

    Raises NumberRefused (NotANumberCharacter for a character no number holds) with the
    reason in the user's language."""
    if raw is None:
        return None
    text = check_number_characters(raw)
    # Full-width forms become ASCII (１２０，０００．５ → 120,000.5, ￥ → ¥, － → -); the
    # characters checked above hold nothing else NFKC would change into a digit.
    text = "".join(unicodedata.normalize("NFKC", text).split())
    if not text:
        return None
    sign = ""
    if text[0] in "+-":
        sign, text = text[0], text[1:]
    text, currency = _strip_prefix(text, _PREFIX_CURRENCIES)
    if currency and not sign and text[:1] in ("+", "-"):
        sign, text = text[0], text[1:]  # "¥-1,200" as well as "-¥1,200"
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not currency:
        text, currency = _strip_suffix(text, _SUFFIX_CURRENCIES)
    exponent = 0
    if text[-1:] in MULTIPLIERS:
        exponent, text = MULTIPLIERS[text[-1]], text[:-1]
    if any(char in MULTIPLIERS for char in text):
        if any(char.isdigit() for char in text):
            raise NumberRefused(
                _(
                    "“%(value)s” is not a number: write 万 or 亿 once, after the number "
                    "(1.2亿, 12000万)."
                )
                % {"value": raw[:40]}
            )
        raise _not_a_number(raw)
    if "," in text:
        if not _THOUSANDS.match(text):
            raise _ambiguous(raw.strip(), text)
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        if text.lower() in _NOT_FINITE:
            raise NumberRefused(_("Enter a finite number (not NaN or infinity)."))
        raise _not_a_number(raw.strip())
    try:
        value = Decimal(sign + text)
    except InvalidOperation:
        raise _not_a_number(raw.strip()) from None
    if not value.is_finite():  # pragma: no cover - the pattern admits digits only
        raise NumberRefused(_("Enter a finite number (not NaN or infinity)."))
    if exponent:
        value = value.scaleb(exponent)
    exp = value.as_tuple().exponent
    if isinstance(exp, int) and exp > 0 and value.adjusted() < 28:
        value = value.quantize(Decimal(1))  # 1.2E+8 → 120000000: shown back as typed
    elif exponent:
        value = value.normalize()
    return TypedNumber(value=value, percent=percent, currency="¥" if currency == "¥" else currency)


class _CheckedCharacters:
    """Form number fields read text as read_number does (万, separators, currency signs, any
    minus), then check it as Django does (digits, decimal places, bounds)."""

    def to_python(self, value):
        if isinstance(value, str):
            try:
                typed = read_number(value)
            except NumberRefused as exc:
                raise forms.ValidationError(exc.message, code="invalid") from None
            value = "" if typed is None else format(typed.value, "f")
        return super().to_python(value)


class DecimalField(_CheckedCharacters, forms.DecimalField):
    """forms.DecimalField reading numbers as people type them, refusing lookalike digits by
    name."""


class IntegerField(_CheckedCharacters, forms.IntegerField):
    """forms.IntegerField reading numbers as people type them, refusing lookalike digits by
    name."""
