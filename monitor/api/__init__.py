"""The HTTP API: ingestion endpoints, incidents, health and metrics."""

from monitor.api.app import create_app

__all__ = ["create_app"]
