"""JSON that keeps money exact.

Python's json module turns numbers with a fraction into floats, and cannot write a Decimal as a
number. Amounts must round-trip unchanged (``115.10`` stays ``115.10``), so numbers are read as
Decimal and written back from Decimal text.
"""

import json
import sys
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, MIN_ETINY, Context, Decimal, InvalidOperation

# Decimal arithmetic without rounding or overflow, for numbers not yet validated.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class RawJSON(str):
    """JSON text that is already serialised (a stored snapshot) and is embedded verbatim."""


def loads(text):
    """Parse JSON with exact decimals; NaN and Infinity are not JSON and are refused.

    Numbers of any magnitude parse; validation bounds them before anything does arithmetic
    with them or writes them out again (``1e999999`` would print a million digits). A number
    beyond what Decimal or int can hold (``1e9999999999999999999``, an integer longer than
    Python converts) parses as a stand-in just as far out of every bound: ``Infinity`` (signed)
    when too large, the smallest non-zero Decimal (signed) when too small, 0 when zero. So
    validation refuses it naming its field, as it refuses ``1e30``.
    """
    return json.loads(
        text, parse_float=_decimal, parse_int=_integer, parse_constant=_refuse_constant
    )


def dumps(value, sort_keys=False):
    parts = []
    _encode(value, parts, sort_keys)
    return "".join(parts)


def canonical(value):
    """Text equal for bodies that mean the same thing: key order and ``10`` vs ``10.00`` ignored.

    It is what an idempotency key is bound to, so a client that re-serialises the same request
    differently is still recognised as replaying it.
    """
    return dumps(_normalise_numbers(value), sort_keys=True)


def _decimal(text):
    try:
        return Decimal(text)
    except InvalidOperation:
        # JSON's grammar leaves one way to fail: an exponent past Decimal's limits.
        mantissa, _, exponent = text.lower().partition("e")
        if not Decimal(mantissa):
            return Decimal(mantissa)
        sign = "-" if mantissa.startswith("-") else ""
        if exponent.startswith("-"):
            return Decimal(f"{sign}1E{MIN_ETINY}")
        return Decimal(f"{sign}Infinity")


def _integer(text):
    limit = sys.get_int_max_str_digits()
    if limit and len(text.lstrip("-")) > limit:
        return Decimal("-Infinity" if text.startswith("-") else "Infinity")
    return int(text)


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _normalise_numbers(value):
    if isinstance(value, dict):
        return {key: _normalise_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise_numbers(item) for item in value]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        # Exact, whatever the magnitude, and short: 1e999999999 stays nine digits of exponent.
        return RawJSON(str(Decimal(value).normalize(_EXACT)))
    return value


def _encode(value, parts, sort_keys):
    if isinstance(value, RawJSON):
        parts.append(value)
    elif isinstance(value, dict):
        parts.append("{")
        items = sorted(value.items()) if sort_keys else value.items()
        for index, (key, item) in enumerate(items):
            if index:
                parts.append(",")
            parts.append(json.dumps(str(key), ensure_ascii=False))
            parts.append(":")
            _encode(item, parts, sort_keys)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts, sort_keys)
        parts.append("]")
    elif isinstance(value, Decimal):
        parts.append(format(value, "f"))
    else:
        parts.append(json.dumps(value, ensure_ascii=False, allow_nan=False))
