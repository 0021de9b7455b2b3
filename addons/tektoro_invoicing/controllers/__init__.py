from . import report, tektoro_invoice
