"""Client actions the buttons answer with."""

CLOSE_DIALOG = {"type": "ir.actions.act_window_close"}
RELOAD_VIEW = {"type": "ir.actions.client", "tag": "soft_reload"}


def notification(message, kind, then):
    """A notification of ``kind`` (success, info, warning, danger), then the action ``then``."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"message": message, "type": kind, "next": then},
    }
