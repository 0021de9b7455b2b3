"""Values sent over RPC, checked before they reach the database.

The ORM hands a wrong type, an unknown id or a missing required value to PostgreSQL, which
refuses it with a database error (logged as a bad query, shown to the caller as a generic
message or a traceback). Checking first gives the caller a ValidationError naming the field.
"""

import datetime
import math
import numbers

from odoo import fields
from odoo.exceptions import ValidationError

# The Billing API's limits (a longer text or a bigger amount could never be pushed), and sane
# ones for the texts and amounts of tickets and master invoices.
MAX_CHAR = 1000
MAX_TEXT = 100_000
MAX_NUMBER = 999_999_999_999.99
# Odoo's integer columns are PostgreSQL's 32-bit int4.
MAX_INTEGER = 2**31 - 1
# Formatted outside the _() call: Odoo's term extractor evaluates the call's arguments.
MAX_NUMBER_TEXT = f"{MAX_NUMBER:,.2f}"
MAX_INTEGER_TEXT = f"{MAX_INTEGER:,}"


def optional(value):
    """An optional argument as sent over RPC: None when not given. XML-RPC cannot carry None,
    so its clients send false instead."""
    return None if value is False else value


def caller_values(model, vals_list):
    """The values of a create as its caller chose them, to be checked: each of ``vals_list``
    with the defaults the caller set (new dicts; under sudo, the addon's own code, as sent).

    Odoo completes a created record from the context's ``default_<field>`` keys, then from
    ``ir.default`` (which every user may set for themselves), before the fields' own defaults.
    Over RPC the caller writes the context, so those values are theirs as much as ``vals`` is:
    a ``default_state`` must meet the same refusal as a ``state``.
    """
    if model.env.su:
        return [dict(vals) for vals in vals_list]
    return [{**caller_defaults(model, vals), **vals} for vals in vals_list]


def caller_defaults(model, vals):
    """The values that ``default_get`` would take from the caller for the fields not in
    ``vals``, in its order: the context's ``default_<field>`` keys, then ``ir.default``.

    Fields that follow another record are left out: Odoo computes them whatever their default
    (``default_company_id``, the usual way to pick a company over RPC, reaches the items of a
    work order too).
    """
    context = model.env.context
    user_defaults = model.env["ir.default"]._get_model_defaults(model._name)
    chosen = {}
    for name, field in model._fields.items():
        if name in vals or (field.related and not field.inverse):
            continue
        if f"default_{name}" in context:
            chosen[name] = context[f"default_{name}"]
        elif name in user_defaults and not field.company_dependent:
            chosen[name] = user_defaults[name]
    return chosen


def check_values(model, vals, creating=False):
    """Refuse ``vals`` for ``model`` (the records written, or an empty recordset on create).

    The caller's right to write them comes first: a caller who may not create or write must not
    learn from the answer whether the records a value links to exist.
    """
    model.check_access("write" if model else "create")
    for name, value in vals.items():
        field = model._fields.get(name)
        if field is None:
            raise ValidationError(
                model.env._(
                    "%(model)s has no field %(field)s.", model=model._description, field=name
                )
            )
        if field.related and not field.inverse:
            # Odoo stores whatever is written to a stored one (a ticket's currency, an item's
            # company), and the record then disagrees with what it follows.
            source = model._fields[field.related.split(".")[0]]
            raise ValidationError(
                model.env._(
                    "%(field)s follows from %(origin)s and can't be set.",
                    field=field._description_string(model.env),
                    origin=source._description_string(model.env),
                )
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
                raise ValidationError(
                    model.env._("%s is required.", field._description_string(model.env))
                )


def _check_value(model, field, value):
    label = field._description_string(model.env)
    if field.required and value in (False, None, ""):
        raise ValidationError(model.env._("%s is required.", label))
    if value in (False, None):
        return
    if field.type == "many2one":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                model.env._(
                    "%(field)s must be a record id, not %(value)s.",
                    field=label,
                    value=_short(value),
                )
            )
        if not model.env[field.comodel_name].sudo().browse(value).exists():
            raise ValidationError(
                model.env._("%(field)s: there is no record with id %(id)s.", field=label, id=value)
            )
    elif field.type in ("float", "monetary", "integer"):
        is_int4 = field.column_type == ("int4", "int4")
        limit, limit_text = (
            (MAX_INTEGER, MAX_INTEGER_TEXT) if is_int4 else (MAX_NUMBER, MAX_NUMBER_TEXT)
        )
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
            or abs(value) > limit
        ):
            raise ValidationError(
                model.env._(
                    "%(field)s must be a number between -%(max)s and %(max)s, not %(value)s.",
                    field=label,
                    max=limit_text,
                    value=_short(value),
                )
            )
    elif field.type in ("char", "text"):
        limit = MAX_CHAR if field.type == "char" else MAX_TEXT
        if not isinstance(value, str):
            raise ValidationError(model.env._("%s must be text.", label))
        if "\x00" in value or not _is_utf8(value):
            raise ValidationError(
                model.env._("%s must be text without NUL characters or broken Unicode.", label)
            )
        if len(value) > limit:
            raise ValidationError(
                model.env._(
                    "%(field)s is too long: at most %(max)s characters.", field=label, max=limit
                )
            )
    elif field.type in ("date", "datetime"):
        to_date(model.env, value, label, with_time=field.type == "datetime")
    elif field.type == "selection" and isinstance(field.selection, list):
        if not isinstance(value, str) or value not in dict(field.selection):
            raise ValidationError(
                model.env._("%(field)s can't be %(value)s.", field=label, value=_short(value))
            )
    elif field.type in ("one2many", "many2many"):
        ids = _linked_ids(model.env, value, label)
        missing = ids - set(model.env[field.comodel_name].sudo().browse(ids).exists().ids)
        if missing:
            raise ValidationError(
                model.env._(
                    "%(field)s: there is no record with id %(id)s.", field=label, id=min(missing)
                )
            )


def _linked_ids(env, commands, label):
    """The existing records an x2many value links, from its ids and Command tuples."""
    if not isinstance(commands, (list, tuple)):
        raise ValidationError(env._("%s must be a list of records.", label))
    ids = set()
    for command in commands:
        if _is_id(command):
            ids.add(command)
            continue
        if not isinstance(command, (list, tuple)) or not command or command[0] not in range(7):
            raise ValidationError(env._("%s must be a list of records.", label))
        if command[0] in (0, 1) and (len(command) != 3 or not isinstance(command[2], dict)):
            raise ValidationError(env._("%s must be a list of records.", label))
        if command[0] in (1, 2, 3, 4) and len(command) > 1 and _is_id(command[1]):
            ids.add(command[1])
        elif command[0] == 6 and len(command) == 3 and isinstance(command[2], (list, tuple)):
            if not all(_is_id(i) for i in command[2]):
                raise ValidationError(env._("%s must be a list of records.", label))
            ids.update(command[2])
        elif command[0] not in (0, 5):
            raise ValidationError(env._("%s must be a list of records.", label))
    return ids


def _is_utf8(text):
    """False for lone surrogates, which JSON can carry and PostgreSQL can't store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def to_date(env, value, label, with_time=False):
    """``value`` as a date (or datetime), or a ValidationError naming ``label``."""
    if isinstance(value, datetime.date):
        return value
    try:
        if not isinstance(value, str):
            raise TypeError(value)
        return fields.Datetime.to_datetime(value) if with_time else fields.Date.to_date(value)
    except (TypeError, ValueError):
        raise ValidationError(
            env._(
                "%(field)s must be a date (YYYY-MM-DD), not %(value)s.",
                field=label,
                value=_short(value),
            )
        ) from None


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
