"""The pipeline tests' harness: a runtime on the test database driven through its API."""

from __future__ import annotations

from tests.integration.pipeline.conftest import clock, harness

__all__ = ["clock", "harness"]
