"""Values sent over RPC, checked before they reach the database.

The ORM hands a wrong type, an unknown id or a missing required value to PostgreSQL, which
refuses it with a database error (logged as a bad query, shown to the caller as a generic
message or a traceback). Checking first gives the caller a ValidationError naming the field.
"""

import math
import numbers

from odoo import _
from odoo.exceptions import ValidationError

# The Billing API's limits: a longer text or a bigger amount could never be pushed.
MAX_CHAR = 1000
MAX_TEXT = 100_000
MAX_NUMBER = 999_999_999_999.99


def check_values(model, vals, creating=False):
    for name, value in vals.items():
        field = model._fields.get(name)
        if field is None:
            raise ValidationError(
                _("%(model)s has no field %(field)s.", model=model._description, field=name)
            )
        _check_value(model, field, value)
    if creating:
        for field in model._fields.values():
            if (
                field.required
                and field.store
                and not (field.default or field.compute or field.related)
                and field.name not in vals
            ):
                raise ValidationError(_("%s is required.", field.string))


def _check_value(model, field, value):
    label = field.string
    if field.required and value in (False, None, ""):
        raise ValidationError(_("%s is required.", label))
    if value in (False, None):
        return
    if field.type == "many2one":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                _("%(field)s must be a record id, not %(value)r.", field=label, value=_short(value))
            )
        if not model.env[field.comodel_name].sudo().browse(value).exists():
            raise ValidationError(
                _("%(field)s: there is no record with id %(id)s.", field=label, id=value)
            )
    elif field.type in ("float", "monetary", "integer"):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
            or abs(value) > MAX_NUMBER
        ):
            raise ValidationError(
                _(
                    "%(field)s must be a number between -%(max)s and %(max)s, not %(value)r.",
                    field=label,
                    max=f"{MAX_NUMBER:,.2f}",
                    value=_short(value),
                )
            )
    elif field.type in ("char", "text"):
        limit = MAX_CHAR if field.type == "char" else MAX_TEXT
        if not isinstance(value, str):
            raise ValidationError(_("%s must be text.", label))
        if len(value) > limit:
            raise ValidationError(
                _("%(field)s is too long: at most %(max)s characters.", field=label, max=limit)
            )


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
