"""Request validation that names the offending field.

A client fixing a rejected request needs to know which field is wrong, so every rejection is a
422 ``validation_error`` whose ``field`` is a path such as ``lines[0].quantity``. Unknown fields
are refused too: a misspelt field silently ignored is a bug found in production instead of here.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from iso4217 import Currency

from billing_sandbox.errors import validation_error

# The most decimal places any ISO 4217 currency has (CLF, UYW): a payment is read with these,
# then held to its invoice's currency.
MAX_MONEY_PLACES = 4
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("1000000")
MAX_LINES = 500
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100

_CURRENCY = re.compile(r"[A-Z]{3}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_DIGITS = re.compile(r"\d{1,19}", re.ASCII)
_SURROGATE = "must not contain an unpaired surrogate (\\ud800 to \\udfff)"
MIN_TIMESTAMP = "0001-01-01T00:00:00Z"
MAX_TIMESTAMP = "9999-12-31T23:59:59Z"


class Fields:
    """Reads one JSON object field by field, knowing its own path for error messages."""

    def __init__(self, value, path=""):
        if not isinstance(value, dict):
            raise validation_error(path or "body", "must be a JSON object")
        self._value = value
        self._path = path
        self._read = set()

    def path(self, name):
        return f"{self._path}.{name}" if self._path else name

    def text(self, name, max_length, required=True, pattern=None, expected=None):
        value = self._take(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise validation_error(self.path(name), "must be a string")
        if not is_unicode(value):
            raise validation_error(self.path(name), _SURROGATE)
        if not value.strip():
            raise validation_error(self.path(name), "must not be blank")
        if len(value) > max_length:
            raise validation_error(self.path(name), f"must be at most {max_length} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise validation_error(self.path(name), f"must be {expected}")
        return value

    def number(self, name, minimum, maximum, places, required=True, above_minimum=False):
        """A decimal in bounds with at most `places` decimals: amounts are never rounded here."""
        value = self._take(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise validation_error(self.path(name), "must be a number")
        number = Decimal(value)
        if number < minimum or (above_minimum and number == minimum):
            relation = "greater than" if above_minimum else "at least"
            raise validation_error(self.path(name), f"must be {relation} {minimum}")
        if number > maximum:
            raise validation_error(self.path(name), f"must be at most {maximum}")
        return check_places(self.path(name), number, places)

    def money(self, name, places, required=True, above_zero=False):
        """An amount in a currency with ``places`` decimal places (its ISO 4217 minor unit)."""
        return self.number(name, Decimal(0), MAX_AMOUNT, places, required, above_minimum=above_zero)

    def currency(self, name):
        """An ISO 4217 code that has a minor unit, i.e. one that money can be counted in."""
        value = self.text(name, 3, pattern=_CURRENCY, expected="an ISO 4217 code")
        if currency_places(value) is None:
            raise validation_error(self.path(name), "must be an ISO 4217 currency code")
        return value

    def integer(self, name, default, minimum, maximum):
        value = self._take(name, required=False)
        if value is None:
            return default
        if isinstance(value, Decimal) and value.is_infinite():
            # jsonio's stand-in for an integer too long to convert: out of range, not a fraction.
            raise validation_error(self.path(name), f"must be between {minimum} and {maximum}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise validation_error(self.path(name), "must be an integer")
        if not minimum <= value <= maximum:
            raise validation_error(self.path(name), f"must be between {minimum} and {maximum}")
        return value

    def date(self, name):
        value = self.text(name, 10, pattern=_ISO_DATE, expected="a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise validation_error(self.path(name), "is not a calendar date") from None

    def timestamp(self, name, required=True):
        """An RFC 3339 date-time with its offset, returned in the API's own UTC form."""
        value = self.text(name, 40, required)
        if value is None:
            return None
        expected = "an RFC 3339 date-time with offset, e.g. 2024-05-01T12:00:00Z"
        match = _RFC3339.fullmatch(value)
        if not match:
            raise validation_error(self.path(name), f"must be {expected}")
        # Spelt as Python 3.10's fromisoformat reads it: six digits of fraction, no "Z".
        fraction, offset = match.group(1), match.group(2).upper()
        date_time = value[: match.start(1) if fraction else match.start(2)]
        if fraction:
            date_time += fraction.ljust(7, "0")
        if offset == "Z":
            offset = "+00:00"
        try:
            moment = datetime.fromisoformat(date_time.upper() + offset)
        except ValueError:
            raise validation_error(self.path(name), f"must be {expected}") from None
        try:
            return format_timestamp(moment)
        except OverflowError:
            # 0001-01-01T00:30:00+01:00 is a valid date-time whose UTC is before year 1.
            raise validation_error(
                self.path(name), f"must be between {MIN_TIMESTAMP} and {MAX_TIMESTAMP} in UTC"
            ) from None

    def choice(self, name, choices):
        value = self._take(name, required=True)
        if value not in choices:
            raise validation_error(self.path(name), "must be one of " + ", ".join(choices))
        return value

    def object(self, name):
        return Fields(self._take(name, required=True), self.path(name))

    def objects(self, name, max_items):
        """A non-empty array of objects, each read with its own ``name[i]`` path."""
        items = self._take(name, required=True)
        if not isinstance(items, list):
            raise validation_error(self.path(name), "must be an array")
        if not 1 <= len(items) <= max_items:
            raise validation_error(self.path(name), f"must have 1 to {max_items} items")
        return [Fields(item, f"{self.path(name)}[{index}]") for index, item in enumerate(items)]

    def finish(self):
        """Refuse fields nobody read: they are typos or features this API does not have."""
        unknown = sorted(set(self._value) - self._read)
        if unknown:
            raise validation_error(self.path(printable(unknown[0])), "is not a known field")

    def _take(self, name, required):
        self._read.add(name)
        value = self._value.get(name)
        if value is None and required:
            raise validation_error(self.path(name), "is required")
        return value


def smallest_amount(places):
    """The smallest amount with ``places`` decimal places: 0.01 for 2, 1 for 0, 0.001 for 3."""
    return Decimal(1).scaleb(-places)


def check_places(path, number, places, where=""):
    """``number``, if it has at most ``places`` decimal places; a 422 naming ``path`` if not."""
    if number != number.quantize(smallest_amount(places)):
        raise validation_error(path, f"must have at most {places} decimal places{where}")
    return number


def currency_places(code):
    """Decimal places of an ISO 4217 currency: 2 for USD, 0 for JPY, 3 for BHD.

    None for a code that is not a currency, or one without a minor unit (XAU, XXX).
    """
    try:
        return Currency(code).exponent
    except ValueError:
        return None


def format_timestamp(moment):
    """Timestamps leave the API as UTC with a ``Z``, second precision: one form to parse.

    Always a four-digit year (``0001-01-01T00:00:00Z``): ``strftime("%Y")`` would write ``1``.
    """
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="seconds") + "Z"


def is_unicode(text):
    """False for text with an unpaired surrogate (JSON ``"\\ud800"``): no UTF-8 can hold it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text):
    """``text`` as a response can carry it: an unpaired surrogate written as ``\\ud800``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def now_timestamp():
    return format_timestamp(datetime.now(timezone.utc))


# ---------------------------------------------------------------------------------------------
# Request bodies


@dataclass(frozen=True)
class LineDraft:
    description: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    reference: str
    customer_name: str
    customer_email: str | None
    currency: str
    issued_on: str
    lines: tuple
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class PaymentDraft:
    amount: Decimal
    paid_at: str | None


def parse_invoice(body):
    fields = Fields(body)
    reference = fields.text("reference", 64)
    customer = fields.object("customer")
    customer_name = customer.text("name", 200)
    customer_email = customer.text(
        "email", 254, required=False, pattern=_EMAIL, expected="an email address"
    )
    customer.finish()
    currency = fields.currency("currency")
    places = currency_places(currency)
    draft = InvoiceDraft(
        reference=reference,
        customer_name=customer_name,
        customer_email=customer_email,
        currency=currency,
        issued_on=fields.date("issued_on"),
        lines=tuple(_parse_line(line) for line in fields.objects("lines", MAX_LINES)),
        subtotal=fields.money("subtotal", places),
        tax_rate=fields.number("tax_rate", Decimal(0), Decimal(100), 4),
        tax=fields.money("tax", places),
        total=fields.money("total", places),
    )
    fields.finish()
    _check_arithmetic(draft, smallest_amount(places))
    return draft


def parse_payment(body):
    fields = Fields(body)
    payment = PaymentDraft(
        amount=fields.money("amount", MAX_MONEY_PLACES, above_zero=True),
        paid_at=fields.timestamp("paid_at", required=False),
    )
    fields.finish()
    return payment


def _parse_line(fields):
    line = LineDraft(
        description=fields.text("description", 1000),
        quantity=fields.number("quantity", Decimal(0), MAX_QUANTITY, 6, above_minimum=True),
        unit_price=fields.number("unit_price", Decimal(0), MAX_AMOUNT, 6),
    )
    fields.finish()
    return line


def _check_arithmetic(draft, unit):
    """The totals must be the ones the lines imply, so both systems agree on what is owed.

    ``unit`` is the currency's smallest amount (a cent, a yen, a fils). A sender that rounds
    each line to it before adding them up may be off by up to one unit per line, hence the
    tolerance on the subtotal.
    """
    lines_sum = sum(line.quantity * line.unit_price for line in draft.lines)
    if abs(draft.subtotal - lines_sum) > unit * len(draft.lines):
        raise validation_error(
            "subtotal", f"must be the sum of quantity * unit_price over the lines ({lines_sum})"
        )
    expected_tax = (draft.subtotal * draft.tax_rate / 100).quantize(unit, ROUND_HALF_UP)
    if abs(draft.tax - expected_tax) > unit:
        raise validation_error("tax", f"must be subtotal * tax_rate / 100 ({expected_tax})")
    if draft.total != draft.subtotal + draft.tax:
        raise validation_error("total", f"must be subtotal + tax ({draft.subtotal + draft.tax})")


# ---------------------------------------------------------------------------------------------
# Query strings


def refuse_unknown_params(req, known):
    """``?referense=X`` ignored would list every invoice to a client expecting one: refuse it."""
    unknown = sorted(set(req.params) - set(known))
    if unknown:
        raise validation_error(unknown[0], "is not a known query parameter")


def query_integer(req, name, default, minimum, maximum):
    raw = req.get_param(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise validation_error(name, f"must be an integer between {minimum} and {maximum}")
    return int(raw)


def query_page_size(req):
    return query_integer(req, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)


def query_text(req, name, max_length):
    raw = req.get_param(name)
    if raw is not None and not 1 <= len(raw) <= max_length:
        raise validation_error(name, f"must be 1 to {max_length} characters")
    return raw
