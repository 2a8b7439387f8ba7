"""Schemathesis generates requests from the OpenAPI schema: no input may produce a 5xx.

Each request is counted, and each 5xx, in the "fuzz" table at the end of the
run (``tests.support.fuzz_counts``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from monitor.api import create_app
from monitor.bootstrap import build_runtime
from monitor.settings import Settings
from tests.conftest import EXAMPLE_CATALOG
from tests.support.openapi_checks import call_and_check

pytestmark = pytest.mark.slow


def _app_schema() -> schemathesis.BaseSchema:
    """The app on a throw-away SQLite database (built at collection: the schema drives it)."""
    runtime = build_runtime(
        Settings(
            data_dir=Path(tempfile.mkdtemp(prefix="openapi-fuzz-")),
            catalog_path=EXAMPLE_CATALOG,
            require_auth=False,
            max_body_bytes=64 * 1024,
        )
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime, start_worker=False))


schema = _app_schema()
# A report of an incident whose updates were fuzzed takes seconds to build (redaction is
# quadratic on long words), so that operation gets a few random requests and not the
# dozens of schemathesis's coverage cases (explicit examples), to keep the run short.
REPORT = {"method": "GET", "path": "/api/v1/incidents/{incident_id}/report"}
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.exclude(**REPORT).parametrize()
@settings(FUZZ, max_examples=50)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    call_and_check(case)


@schema.include(**REPORT).parametrize()
@settings(FUZZ, max_examples=10, phases=[Phase.generate])
def test_no_generated_report_request_gets_a_server_error(case: schemathesis.Case) -> None:
    call_and_check(case)
