"""Outage customer-impact monitor: from infrastructure alerts to the customers they hurt."""

__version__ = "0.1.0"
