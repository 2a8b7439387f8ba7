"""Label-set fingerprints compatible with Prometheus and Alertmanager.

Alertmanager identifies an alert series by ``model.LabelSet.Fingerprint()``:
FNV-1a (64 bit) over the label names in byte order, each name and value
followed by the separator byte 0xff, printed as 16 lower-case hex digits.
Computing the same value lets an alert seen through the Prometheus poller, a
webhook or the database be recognised as the same series.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_FNV_OFFSET_64 = 14695981039346656037
_FNV_PRIME_64 = 1099511628211
_MASK_64 = (1 << 64) - 1
_SEPARATOR = 0xFF

FINGERPRINT_RE = re.compile(r"^[0-9a-f]{16}$")
"""What a well-formed fingerprint looks like (Go's ``%016x``)."""


def _fnv1a_add(state: int, data: bytes) -> int:
    for byte in data:
        state ^= byte
        state = (state * _FNV_PRIME_64) & _MASK_64
    return state


def labelset_fingerprint(labels: Mapping[str, str]) -> str:
    """Return Alertmanager's fingerprint of ``labels`` as 16 hex digits."""
    state = _FNV_OFFSET_64
    # Go sorts label names as strings, which compares their UTF-8 bytes.
    encoded = sorted((name.encode(), value.encode()) for name, value in labels.items())
    separator = bytes([_SEPARATOR])
    for name, value in encoded:
        state = _fnv1a_add(state, name + separator + value + separator)
    return f"{state:016x}"


def is_fingerprint(value: str) -> bool:
    """True when ``value`` is formatted like an Alertmanager fingerprint."""
    return FINGERPRINT_RE.fullmatch(value) is not None
