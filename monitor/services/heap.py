"""Hand memory the process freed back to the system: a long-lived monitor must not keep its peaks.

glibc keeps freed memory for reuse rather than returning it, and after storm
after storm of allocations of every size the heap stays spread out: in
``bench.memory``, run with ``PYTHONMALLOC=malloc``, the server was resident at
296 MB after 40,000 alerts and 142 MB once ``malloc_trim`` had run, with the
same live objects. Python's own small-object allocator (the default) keeps
most of its freed memory in partly used arenas that no trim can return, which
is why the image runs with ``PYTHONMALLOC=malloc`` (see ``docker/Dockerfile``).
Elsewhere than glibc there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_SECONDS = 30.0
"""How often at most: a trim walks the heap, a few milliseconds for a few hundred MB."""


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc (musl, macOS)
    return trim


class HeapTrimmer:
    """Calls ``malloc_trim`` at most once per ``every`` seconds."""

    def __init__(
        self, *, every: float = TRIM_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._clock = clock
        self._trim = _malloc_trim()
        self._last = float("-inf")

    @property
    def available(self) -> bool:
        """True where the C library can return freed memory (glibc)."""
        return self._trim is not None

    def maybe_trim(self) -> bool:
        """Return freed memory to the system if the last time was long enough ago."""
        now = self._clock()
        if self._trim is None or now - self._last < self._every:
            return False
        self._last = now
        self._trim(0)
        return True
