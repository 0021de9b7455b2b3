"""TekToro sync daemon: keeps Odoo and the external billing system in agreement.

It applies billing events (paid, cancelled) to Odoo, retries pushes that failed or whose outcome
is unknown, and reports drift between the two sides. Everything that changes Odoo happens inside
batch methods of the addon (``tektoro.billing.sync``), one page per RPC call.
"""

__version__ = "18.0.1.0.0"
