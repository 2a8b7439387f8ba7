"""ASGI middleware telling the worker when the API is being called (see ``ApiActivity``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.services.api_activity import ApiActivity


class NoteActivity:
    """Counts every HTTP request while it runs."""

    def __init__(self, app: ASGIApp, *, activity: ApiActivity) -> None:
        self.app = app
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.activity.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.end()
