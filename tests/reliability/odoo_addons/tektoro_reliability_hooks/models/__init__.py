from . import tektoro_invoice
