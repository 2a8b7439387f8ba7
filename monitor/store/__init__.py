"""The monitor's own database: engine, rows, repositories, unit of work and migrations.

This package is the only place that speaks SQL.
"""

from monitor.store.engine import create_store_engine
from monitor.store.uow import Store, UnitOfWork

__all__ = ["Store", "UnitOfWork", "create_store_engine"]
