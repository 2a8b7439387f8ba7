"""The key customer references are pseudonymised under.

``MONITOR_PSEUDONYM_KEY`` (or the secret file ``monitor_pseudonym_key``) wins.
Without it, a random key is generated at first use and kept in
``data_dir/pseudonym.key`` with 0600 permissions, so pseudonyms stay stable
across restarts. Several processes sharing a database must share the key:
set it explicitly in such deployments. Losing the key does not reveal any
reference; it only stops new signals from matching older ones of the same
customer. The key is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from monitor.settings import Settings
from monitor.signals.pseudonym import MIN_KEY_BYTES

KEY_FILE = "pseudonym.key"
log = logging.getLogger(__name__)


def pseudonym_key(settings: Settings) -> bytes:
    """The configured key, or the one kept under the data directory (created if missing)."""
    if settings.pseudonym_key is not None:
        key = settings.pseudonym_key.get_secret_value().encode()
        if len(key) < MIN_KEY_BYTES:
            log.warning("MONITOR_PSEUDONYM_KEY is shorter than %d characters", MIN_KEY_BYTES)
        return key
    return _kept_key(settings.data_dir / KEY_FILE)


def _kept_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        # link() fails when another process got there first: both then use its key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_bytes().strip()
