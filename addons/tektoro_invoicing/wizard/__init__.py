from . import tektoro_invoice_create_wizard
from . import tektoro_master_invoice_create_wizard
from . import tektoro_master_invoice_review_wizard
from . import tektoro_client_invoice_generate_wizard
from . import tektoro_company_settings
from . import mail_compose_message
