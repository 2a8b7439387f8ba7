"""The console or file sink: where messages go when Slack or a webhook is not configured.

Each delivery is one JSON line naming the Slack method (or webhook target)
it stands for, so the demo shows the conversation without a workspace. It
answers with a made-up ``ts`` that later edits and replies refer to.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from monitor.notify.base import Delivery, Message, MessageKind


class SinkNotifier:
    """Writes messages to a stream or appends them to a file."""

    def __init__(self, *, path: Path | None = None, stream: TextIO | None = None) -> None:
        self._path = path
        self._stream = stream
        self._lock = threading.Lock()
        self._count = 0

    def send(self, message: Message) -> Delivery:
        """Write the message; never fails for a reason worth retrying except a full disk."""
        with self._lock:
            self._count += 1
            ts = message.ts or f"{int(time.time())}.{self._count:06d}"
            line = json.dumps(_record(message, ts), ensure_ascii=False, default=str)
            try:
                if self._path is not None:
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                    with self._path.open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
                else:
                    stream = self._stream or sys.stdout
                    stream.write(line + "\n")
                    stream.flush()
            except OSError as exc:
                return Delivery.failed(f"sink not writable: {exc.strerror}", retryable=True)
        return Delivery.done(ts=ts, channel=message.channel or "", sink=True)


def _record(message: Message, ts: str) -> dict[str, Any]:
    if message.kind is MessageKind.CALL:
        return {"call": message.target, "key": message.key, "body": dict(message.body)}
    method = "chat.update" if message.kind is MessageKind.UPDATE else "chat.postMessage"
    record: dict[str, Any] = {"method": method, "channel": message.channel, "ts": ts}
    if message.thread_ts:
        record["thread_ts"] = message.thread_ts
    record["text"] = message.text
    return record
