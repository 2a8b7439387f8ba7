"""The monitor's error hierarchy.

Domain code raises these; only ``api/`` turns them into HTTP answers and only
``cli`` turns them into exit codes, so the meaning of a failure is decided once.

    MonitorError
    ├── ConfigError                 configuration files (catalog, playbooks, settings)
    │   └── CatalogError            one or more catalog problems, each with its location
    ├── TemplateRenderError              a playbook template does not compile or render
    ├── InputError                  a payload from outside is malformed (→ 4xx)
    │   └── PayloadTooLargeError         the body exceeds the configured limit (→ 413)
    ├── NotFoundError                    an id that does not exist (→ 404)
    ├── ConflictError                    a change that contradicts the current state (→ 409)
    ├── StoreUnavailableError            the database cannot be reached or written (→ 503)
    └── InboxReadError                   an accepted batch's alerts cannot be read back (→ parked)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a configuration file, with where it is."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        at = f" at {self.path}" if self.path else ""
        return f"{where}{at}: {self.message}"


class ConfigError(MonitorError):
    """A configuration file is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CatalogError(ConfigError):
    """The catalog is invalid; nothing of it is loaded."""


class TemplateRenderError(MonitorError):
    """A playbook template does not compile or render; the message says why and where."""


class InputError(MonitorError):
    """A payload from outside is malformed; the message says what and where."""


class PayloadTooLargeError(InputError):
    """A request body is larger than the configured limit."""


class NotFoundError(MonitorError):
    """The requested object does not exist."""


class ConflictError(MonitorError):
    """The requested change contradicts the object's current state."""


class StoreUnavailableError(MonitorError):
    """The database cannot be reached or written; callers should retry later."""


class InboxReadError(MonitorError):
    """An accepted batch's alerts cannot be read back; it is retried, then parked with this."""
