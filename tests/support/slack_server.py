"""A loopback server that speaks the part of Slack's Web API the monitor uses, and records calls.

The real slack-sdk ``WebClient`` is pointed at it with ``base_url``; it keeps
channels and messages, answers with Slack's JSON envelope, and can be told to
fail the next calls (429 with Retry-After, 500, or an ``ok: false`` error) to
test retries. Paths under ``/hooks/<name>`` record webhook calls with their
headers, so one server stands in for Slack and the systems playbooks call.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass(frozen=True)
class Call:
    """One request the server answered."""

    method: str
    params: dict[str, Any]
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    """An answer to give instead of the normal one."""

    status: int
    error: str
    retry_after: int | None = None


class SlackServer:
    """State of the fake workspace: channels, messages, recorded calls, failures to inject."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self.channels: dict[str, str] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.hook_status: dict[str, list[int]] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._cuts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    @property
    def base_url(self) -> str:
        """What to give ``WebClient(base_url=…)``."""
        return f"{self.url}/api/"

    def hook_url(self, name: str) -> str:
        """A webhook endpoint that records calls under ``name``."""
        return f"{self.url}/hooks/{name}"

    def fail(
        self,
        method: str,
        *,
        status: int,
        error: str = "",
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure."""
        default = {429: "ratelimited", 500: "internal_error"}.get(status, "fatal_error")
        with self._lock:
            self._failures.setdefault(method, []).extend(
                Failure(status, error or default, retry_after) for _ in range(times)
            )

    def cut(self, method: str, *, times: int = 1) -> None:
        """Carry out the next ``times`` calls of ``method``, then break off their answers.

        The answer's headers promise the whole body; half of it is sent and the
        connection closed, as when a network or proxy drops mid-answer: the call
        took effect, and the client cannot know it.
        """
        with self._lock:
            self._cuts[method] = self._cuts.get(method, 0) + times

    def take_cut(self, method: str) -> bool:
        """Whether this call's answer is to be broken off (counts it down)."""
        with self._lock:
            left = self._cuts.get(method, 0)
            if left:
                self._cuts[method] = left - 1
            return left > 0

    def api_calls(self, *methods: str) -> list[Call]:
        """Recorded calls of these Slack methods (all when none given), in order."""
        return [
            c
            for c in self.calls
            if not c.method.startswith("hook:") and (not methods or c.method in methods)
        ]

    def hook_calls(self, name: str) -> list[Call]:
        """Recorded calls of one webhook."""
        return [c for c in self.calls if c.method == f"hook:{name}"]

    def conversation(self) -> list[tuple[str, str, str, str]]:
        """Successful posts and edits as (method, channel name, thread or "", text), in order."""
        names = {v: k for k, v in self.channels.items()}
        found = []
        for call in self.calls:
            if call.status != 200 or call.method not in ("chat.postMessage", "chat.update"):
                continue
            channel = str(call.params.get("channel", ""))
            found.append(
                (
                    call.method,
                    names.get(channel, channel),
                    "thread" if call.params.get("thread_ts") else "",
                    str(call.params.get("text", "")),
                )
            )
        return found

    # -- request handling -------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            queued = self._failures.get(method) or []
            failure = queued.pop(0) if queued else None
            if failure is not None:
                self.calls.append(Call(method, params, failure.status, headers))
                extra = (
                    {"Retry-After": str(failure.retry_after)}
                    if failure.retry_after is not None
                    else {}
                )
                body = {"ok": False, "error": failure.error}
                return failure.status, extra, json.dumps(body).encode()
            if method.startswith("hook:"):
                self.calls.append(Call(method, params, 200, headers))
                return 200, {}, b'{"ok": true}'
            answer = self._answer(method, params)
            self.calls.append(Call(method, params, 200, headers))
            return 200, {}, json.dumps(answer).encode()

    def _channel_id(self, name: str) -> str:
        if not name.startswith("#"):
            return name
        if name not in self.channels:
            self.channels[name] = "C" + re.sub(r"[^A-Z0-9]", "", name.upper())[:10]
            self.messages[self.channels[name]] = []
        return self.channels[name]

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = self._channel_id(str(params["channel"]))
            ts = f"{int(time.time())}.{next(self._seq):06d}"
            message = {
                "ts": ts,
                "text": params.get("text", ""),
                "blocks": params.get("blocks") or [],
                "thread_ts": params.get("thread_ts"),
                "metadata": params.get("metadata"),
            }
            self.messages[channel].append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            channel = str(params["channel"])
            for message in self.messages.get(channel, []):
                if message["ts"] == params["ts"]:
                    message.update(text=params.get("text", ""), blocks=params.get("blocks") or [])
                    return {"ok": True, "channel": channel, "ts": message["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "conversations.list":
            channels = [{"id": i, "name": n.lstrip("#")} for n, i in self.channels.items()]
            return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}
        if method in ("conversations.history", "conversations.replies"):
            channel = str(params["channel"])
            messages = self.messages.get(channel, [])
            if method == "conversations.history":
                shown = [m for m in messages if not m["thread_ts"]]
            else:
                shown = [
                    m for m in messages if m["thread_ts"] == params["ts"] or m["ts"] == params["ts"]
                ]
            return {"ok": True, "messages": list(reversed(shown))}
        return {"ok": False, "error": "unknown_method"}


def _handler(server: SlackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            params: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            content_type = self.headers.get("Content-Type", "")
            if raw and "json" in content_type:
                params.update(json.loads(raw))
            elif raw:
                params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            if parsed.path.startswith("/hooks/"):
                method = "hook:" + parsed.path.removeprefix("/hooks/")
                params = {"body": raw.decode()}
            else:
                method = parsed.path.removeprefix("/api/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = server.handle(method, params, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if server.take_cut(method):
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

    return Handler


@contextmanager
def slack_server() -> Iterator[SlackServer]:
    """Run a SlackServer on a free loopback port for the duration of the block."""
    state = SlackServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="slack-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
