from . import billing_client
from . import values
