"""Turning the monitor's errors into HTTP answers: the one place that decides status codes.

Every answer for bad input is a 4xx with ``{"error": {"code", "message"}}``;
the store being down is a 503 with Retry-After so that Alertmanager retries;
a credential over its ingest rate is a 429 with Retry-After.
"""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from monitor.errors import (
    ConflictError,
    InputError,
    MonitorError,
    NotFoundError,
    PayloadTooLargeError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)


class UnauthorizedError(MonitorError):
    """The request lacks the credentials the endpoint requires."""


class ForbiddenError(MonitorError):
    """The credentials are valid but do not allow this."""


class RateLimitedError(MonitorError):
    """The caller's credential sent more requests than its rate allows; it may retry later."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, math.ceil(retry_after))
        """Whole seconds until a request would be let through (what ``Retry-After`` says)."""


class QueryError(MonitorError):
    """A query parameter is well-formed but unusable (unknown id in a filter, foreign cursor)."""


_STATUS: list[tuple[type[MonitorError], int, str]] = [
    (QueryError, 422, "invalid_query"),
    (UnauthorizedError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (PayloadTooLargeError, 413, "payload_too_large"),
    (InputError, 400, "invalid_input"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (StoreUnavailableError, 503, "store_unavailable"),
]


def error_response(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    """The standard error body."""
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map MonitorError subclasses and validation errors."""

    async def monitor_error(_request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, RateLimitedError):
            wait = exc.retry_after_seconds
            response = error_response(429, "rate_limited", str(exc), retry_after_seconds=wait)
            response.headers["Retry-After"] = str(wait)
            return response
        for kind, status, code in _STATUS:
            if isinstance(exc, kind):
                if status >= 500:
                    log.warning("answering %s: %s", status, exc)
                return error_response(status, code, str(exc))
        log.exception("unexpected monitor error")
        return error_response(500, "internal_error", "unexpected error; see the monitor's log")

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "location": ".".join(str(p) for p in err.get("loc", ())),
                "message": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        message = "; ".join(f"{p['location']}: {p['message']}" for p in problems[:20])
        return error_response(422, "validation_failed", message, problems=problems)

    app.add_exception_handler(MonitorError, monitor_error)
    app.add_exception_handler(RequestValidationError, validation_error)
