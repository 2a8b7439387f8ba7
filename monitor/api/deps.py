"""Request-scoped access to the runtime built at start-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from monitor.bootstrap import Runtime


async def runtime(request: Request) -> Runtime:
    """The runtime that the app was created with."""
    value = request.app.state.runtime
    assert isinstance(value, Runtime)
    return value


RuntimeDep = Annotated[Runtime, Depends(runtime)]
