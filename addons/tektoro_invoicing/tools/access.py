"""Access checks that add to Odoo's own."""

from odoo.exceptions import AccessError

MANAGER_GROUP = "tektoro_invoicing.group_manager"


def refuse_also(records, result, refused, message):
    """The answer of ``records._check_access(operation)`` with ``refused`` added to it.

    ``result`` is what Odoo's own check answered (None, or the forbidden records and the error to
    raise); ``refused`` the records this addon refuses on top (in any environment); ``message``
    the error's text, already translated.
    """
    if not refused:
        return result
    forbidden = records.browse(refused.ids) | (result[0] if result else records.browse())
    return forbidden, lambda: AccessError(message)
