from . import test_settings
from . import test_reports
from . import test_master_invoice_states
