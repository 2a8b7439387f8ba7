"""The check both schemathesis runs make of every generated request: never a 5xx."""

from __future__ import annotations

from typing import Any

import schemathesis

from tests.support.fuzz_counts import tried


def call_and_check(case: schemathesis.Case, **call: Any) -> None:
    """Send one generated request (``call`` goes to ``case.call``); count it, fail on a 5xx."""
    response = case.call(**call)
    # 503 from /readyz is readiness saying "not ready" (no worker in an in-process app)
    by_design = case.formatted_path == "/readyz" and response.status_code == 503
    server_error = response.status_code >= 500 and not by_design
    tried(**{"5xx": int(server_error), "503 from /readyz (by design)": int(by_design)})
    assert not server_error, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
