from . import res_company
from . import res_config_settings
from . import tektoro_ticket
from . import tektoro_master_invoice
from . import tektoro_master_invoice_counter
from . import tektoro_client_invoice
