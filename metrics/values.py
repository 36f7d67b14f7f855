"""Reading a typed value (page cell, spreadsheet cell, API field) into a Decimal, with a clear
message saying why a value is refused. One set of rules for every way actuals come in."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from perfhub.numbers import NumberRefused, read_number

MAX_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
# The values a unit allows when the indicator sets no bound of its own (issue 16 §5): a
# percentage may be negative (growth, margin, variance); counts and durations may not.
PERCENT_LIMIT = Decimal(1000)
_NON_NEGATIVE_UNITS = {"count", "minutes", "hours", "days", "ratio", "score"}


class ValueRefused(ValueError):
    """The value cannot be stored; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _unit_label(unit: str) -> str:
    from .models import Unit  # models import this module's limits

    try:
        return str(Unit(unit).label)
    except ValueError:
        return unit


def parse_number(raw, unit: str | None = None) -> Decimal | None:
    """A number from text or a spreadsheet/JSON number; None for an empty cell.

    Text is read by perfhub.numbers.read_number (万/亿, full-width forms, thousands
    separators, currency signs, "%", every minus sign). With a `unit`, the marks must fit
    it: a "%" only for a percentage (kept as typed: "12.5%" is 12.5) or a ratio (divided by
    100: "85%" is 0.85), a currency sign only for an amount. Refuses NaN, infinity and
    anything too long to store."""
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
            typed = read_number(raw)
        except NumberRefused as exc:
            raise ValueRefused(exc.message) from None
        if typed is None:
            return None
        value = typed.value
        if unit is not None:
            value = _apply_marks(value, typed.percent, typed.currency, unit)
    else:
        raise ValueRefused(_("Enter a number."))
    if not value.is_finite():
        raise ValueRefused(_("Enter a finite number (not NaN or infinity)."))
    _check_digits(value)
    return value


def _apply_marks(value: Decimal, percent: bool, currency: str, unit: str) -> Decimal:
    if currency and unit != "currency":
        raise ValueRefused(
            _(
                "“%(sign)s” is a currency sign, but this value is in %(unit)s: enter the "
                "number alone."
            )
            % {"sign": currency, "unit": _unit_label(unit)}
        )
    if percent:
        if unit == "ratio":
            return value / 100
        if unit != "percent":
            raise ValueRefused(
                _("A “%%” sign does not fit a value in %(unit)s: enter the number alone.")
                % {"unit": _unit_label(unit)}
            )
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


def value_bounds(
    unit: str, *, value_min: Decimal | None = None, value_max: Decimal | None = None
) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest value an indicator allows: its own bounds where it sets them,
    else its unit's (a percentage -1000 to 1000; counts, durations, ratios and scores at
    least 0; amounts anything). None: no bound on that side."""
    low: Decimal | None = None
    high: Decimal | None = None
    if unit == "percent":
        low, high = -PERCENT_LIMIT, PERCENT_LIMIT
    elif unit in _NON_NEGATIVE_UNITS:
        low = Decimal(0)
    return (low if value_min is None else value_min, high if value_max is None else value_max)


def plain(value: Decimal) -> str:
    """A bound as a person would type it: -1000, 0.5 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def check_bounds(
    value: Decimal, *, low: Decimal | None, high: Decimal | None, name: str = ""
) -> Decimal:
    """Refuse a value outside [low, high], naming the indicator and the bound."""
    if (low is None or value >= low) and (high is None or value <= high):
        return value
    name = name or _("This value")
    if low is not None and high is not None:
        message = _("%(name)s must be between %(low)s and %(high)s.")
    elif low == 0:
        message = _("%(name)s cannot be negative.")
    elif low is not None:
        message = _("%(name)s must be at least %(low)s.")
    else:
        message = _("%(name)s must be at most %(high)s.")
    raise ValueRefused(
        message
        % {
            "name": name,
            "low": "" if low is None else plain(low),
            "high": "" if high is None else plain(high),
        }
    )


def check_unit(value: Decimal, unit: str) -> Decimal:
    """Refuse values that cannot be right for the unit whatever the bounds."""
    if unit == "count" and value != value.to_integral_value():
        raise ValueRefused(_("A count is a whole number."))
    return value


def parse_value(
    raw,
    unit: str,
    *,
    low: Decimal | None = None,
    high: Decimal | None = None,
    name: str = "",
) -> Decimal | None:
    """parse_number for the unit, then check_unit and the bounds (by default the unit's,
    `value_bounds`); None for an empty input. The one way actuals are read: the entry grid,
    the API and the upload all come here through metrics.services.actuals_check."""
    value = parse_number(raw, unit)
    if value is None:
        return None
    check_unit(value, unit)
    if low is None and high is None:
        low, high = value_bounds(unit)
    return check_bounds(value, low=low, high=high, name=name)
