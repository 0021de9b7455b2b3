from . import billing_client
from . import values
from . import actions
