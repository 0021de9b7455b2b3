from . import test_settings
from . import test_reports
from . import test_master_invoice_states
from . import test_work_order
from . import test_invoice_billing
from . import test_invoice_access
