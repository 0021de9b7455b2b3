from . import billing_client
