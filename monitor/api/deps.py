"""Request-scoped access to the runtime built at start-up."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from monitor.api.errors import UnauthorizedError
from monitor.bootstrap import Runtime


def runtime(request: Request) -> Runtime:
    """The runtime that the app was created with."""
    value = request.app.state.runtime
    assert isinstance(value, Runtime)
    return value


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def require_ingest_token(request: Request, rt: RuntimeDep) -> None:
    """Check the ingest bearer token when one is configured (Alertmanager's http_config)."""
    secret = rt.settings.ingest_token
    if secret is None:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected = secret.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected):
        raise UnauthorizedError("a valid bearer token is required to post alerts")
