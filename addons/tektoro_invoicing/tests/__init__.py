from . import test_settings
from . import test_master_invoice_states
