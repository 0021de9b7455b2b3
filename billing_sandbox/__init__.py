"""TekToro billing sandbox: the reference implementation of Billing API v1.

The addon, the sync daemon and their tests all talk to this server instead of a real billing
provider, so it is as strict and as durable as the contract in DESIGN.md asks a real one to be.
"""

__version__ = "18.0.1.0.0"
