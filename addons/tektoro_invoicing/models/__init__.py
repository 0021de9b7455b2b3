from . import res_company
from . import res_config_settings
from . import tektoro_device_model
from . import tektoro_work_order
from . import tektoro_work_order_line
from . import tektoro_invoice
from . import tektoro_invoice_line
from . import ir_ui_menu
