from . import tektoro_invoice_create_wizard
