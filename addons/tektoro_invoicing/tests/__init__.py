from . import test_settings
from . import test_billing_sync
from . import test_work_order
from . import test_invoice_billing
from . import test_invoice_access
from . import test_invoice_concurrency
from . import test_work_order_tour
from . import test_security
