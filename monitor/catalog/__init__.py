"""The service model: components, dependencies, redundancy groups, touchpoints and teams."""

from monitor.catalog.loader import load_catalog, parse_catalog_text
from monitor.catalog.model import Catalog

__all__ = ["Catalog", "load_catalog", "parse_catalog_text"]
