"""Pseudonyms of customer references: a keyed hash, so the raw reference is never stored.

HMAC-SHA256 under a deployment secret: the same customer gets the same
pseudonym every time (so signals of one customer can be told apart from a
crowd and a low score can be tied to an earlier complaint), while someone who
reads the database cannot test guessed references without the key. Spaces
around the reference and letter case do not change the pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16
"""Shorter keys work but can be guessed; the monitor warns about them."""


def pseudonymise(reference: str, *, key: bytes) -> str:
    """The 64-hex-digit pseudonym of a customer reference under ``key``."""
    if not key:
        raise ValueError("a pseudonym key cannot be empty")
    normalised = reference.strip().casefold().encode("utf-8")
    return hmac.new(key, b"customer:" + normalised, hashlib.sha256).hexdigest()
