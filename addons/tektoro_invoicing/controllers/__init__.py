from . import mail, report, tektoro_invoice
