from . import test_settings
from . import test_master_invoice_states
from . import test_master_invoice_access
from . import test_master_invoice_refused_inputs
from . import test_master_invoice_notifications
from . import test_master_invoice_multi_company
from . import test_master_invoice_performance
from . import test_master_invoice_concurrency
