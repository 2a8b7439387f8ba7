"""Whether the API served anything lately, so the worker yields the interpreter only when asked.

The worker and the API share one process and one interpreter lock. During a
storm the worker rests between passes so that the API (accepting deliveries,
answering status reads) keeps its share; once nobody calls, that rest only
slows the draining of the backlog. The API's middleware notes each request
as it starts and ends; the worker compares what it saw before and after a pass.
"""

from __future__ import annotations


class ApiActivity:
    """Requests started and still running; written by the event loop's thread only."""

    def __init__(self) -> None:
        self.started = 0
        """Requests started since the process began (only ever grows)."""
        self.running = 0
        """Requests started and not yet answered."""

    def begin(self) -> None:
        """A request started."""
        self.started += 1
        self.running += 1

    def end(self) -> None:
        """A request was answered (or failed)."""
        self.running -= 1

    def busy_since(self, started: int) -> bool:
        """True when a request runs now or began after ``started`` was read."""
        return self.running > 0 or self.started != started
