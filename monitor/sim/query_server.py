"""A Prometheus-compatible query API over simulated metrics, for demos without Prometheus.

It answers ``/api/v1/query`` and ``/api/v1/query_range`` (GET or form POST) in
Prometheus's JSON format, and ``/-/ready``, so that the monitor talks to it
through ``prometheus_api_client`` exactly as to a real server. Only the PromQL
subset of ``monitor.sim.promql`` is understood; other queries get Prometheus's
``bad_data`` error.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.sim.openmetrics import Family
from monitor.sim.promql import (
    Labels,
    PromQLError,
    Scalar,
    SeriesStore,
    StoredSeries,
    Window,
    evaluate,
)

_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(\S+))?$")
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')
MAX_POINTS = 11_000
"""Prometheus refuses ranges of more points than this; so do we."""


def store_from_families(fams: Iterable[Family], *, epoch0: int) -> SeriesStore:
    """Series straight from the simulation's families (one sample a minute)."""
    found: list[StoredSeries] = []
    for fam in fams:
        for sample, series in fam.series:
            labels = _labels({"__name__": sample, **series.labels})
            n = len(series.values)
            times = [float(epoch0 + 60 * (i + 1)) for i in range(series.first, n)]
            values = [float(series.values[i]) for i in range(series.first, n)]
            found.append(StoredSeries(labels, times, values))
    return SeriesStore(found)


def store_from_openmetrics(paths: Sequence[Path]) -> SeriesStore:
    """Series read back from timestamped OpenMetrics files (as written by ``generate``)."""
    data: dict[Labels, tuple[list[float], list[float]]] = {}
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line or line[0] == "#":
                    continue
                match = _SAMPLE.match(line.rstrip("\n"))
                if match is None or match.group(4) is None:
                    continue
                pairs = {"__name__": match.group(1)}
                pairs.update(_LABEL.findall(match.group(2) or ""))
                key = _labels(pairs)
                times, values = data.setdefault(key, ([], []))
                times.append(float(match.group(4)))
                values.append(float(match.group(3)))
    return SeriesStore([StoredSeries(k, t, v) for k, (t, v) in data.items()])


def _labels(pairs: dict[str, str]) -> Labels:
    return tuple(sorted(pairs.items()))


def format_value(value: float) -> str:
    """A sample value as Prometheus prints it (Go's shortest 'f' format)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.17f}".rstrip("0").rstrip(".")
    return text[:-2] if text.endswith(".0") else text


def _stamp(t: float) -> float | int:
    return int(t) if float(t).is_integer() else round(t, 3)


def instant_query(store: SeriesStore, query: str, at: float) -> dict[str, Any]:
    """The ``data`` member of a ``/api/v1/query`` answer."""
    value = evaluate(query, store, at)
    if isinstance(value, Scalar):
        return {"resultType": "scalar", "result": [_stamp(at), format_value(value.value)]}
    if isinstance(value, Window):
        return {
            "resultType": "matrix",
            "result": [
                {"metric": dict(lab), "values": [[_stamp(t), format_value(v)] for t, v in samples]}
                for lab, samples in value.series
            ],
        }
    return {
        "resultType": "vector",
        "result": [
            {"metric": dict(lab), "value": [_stamp(at), format_value(v)]} for lab, v in value
        ],
    }


def range_query(
    store: SeriesStore, query: str, *, start: float, end: float, step: float
) -> dict[str, Any]:
    """The ``data`` member of a ``/api/v1/query_range`` answer."""
    if step <= 0:
        raise PromQLError("zero or negative query resolution step widths are not accepted")
    if end < start:
        raise PromQLError("end timestamp must not be before start time")
    if (end - start) / step > MAX_POINTS:
        raise PromQLError("exceeded maximum resolution of 11,000 points per timeseries")
    series: dict[Labels, list[list[Any]]] = {}
    t = start
    while t <= end:
        value = evaluate(query, store, t)
        if isinstance(value, Window):
            raise PromQLError("range vectors are not allowed in a range query")
        points = [((), value.value)] if isinstance(value, Scalar) else value
        for lab, v in points:
            series.setdefault(lab, []).append([_stamp(t), format_value(v)])
        t += step
    return {
        "resultType": "matrix",
        "result": [{"metric": dict(lab), "values": vals} for lab, vals in sorted(series.items())],
    }


def _parse_time(text: str | None, default: float) -> float:
    if text is None or text == "":
        return default
    try:
        return float(text)
    except ValueError:
        from datetime import datetime

        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _parse_step(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        match = re.fullmatch(r"(\d+)(ms|[smhdw])", text)
        if match is None:
            raise PromQLError(f"cannot parse {text!r} to a valid duration") from None
        unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
        return int(match.group(1)) * unit[match.group(2)]


class _Handler(BaseHTTPRequestHandler):
    store: SeriesStore

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo's terminal is for the monitor."""

    def do_GET(self) -> None:
        self._answer(parse_qs(urlsplit(self.path).query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        params = parse_qs(urlsplit(self.path).query)
        for key, values in parse_qs(body).items():
            params.setdefault(key, []).extend(values)
        self._answer(params)

    def _answer(self, params: dict[str, list[str]]) -> None:
        path = urlsplit(self.path).path
        if path in ("/-/ready", "/-/healthy"):
            self._send(200, b"Prometheus Server is Ready.\n", "text/plain")
            return
        one = {k: v[-1] for k, v in params.items() if v}
        try:
            if path == "/api/v1/query":
                data = instant_query(
                    self.store, one.get("query", ""), _parse_time(one.get("time"), time.time())
                )
            elif path == "/api/v1/query_range":
                data = range_query(
                    self.store,
                    one.get("query", ""),
                    start=_parse_time(one.get("start"), math.nan),
                    end=_parse_time(one.get("end"), math.nan),
                    step=_parse_step(one.get("step", "")),
                )
            else:
                self._send(404, b"404 page not found\n", "text/plain")
                return
        except (PromQLError, ValueError) as exc:
            body = {"status": "error", "errorType": "bad_data", "error": str(exc)}
            self._send(400, json.dumps(body).encode(), "application/json")
            return
        payload = json.dumps({"status": "success", "data": data}).encode()
        self._send(200, payload, "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QueryServer:
    """A running query API; ``url`` is what to give ``PrometheusConnect``."""

    def __init__(self, server: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def close(self) -> None:
        """Stop serving and wait for the serving thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_query_api(store: SeriesStore, *, host: str = "127.0.0.1", port: int = 0) -> QueryServer:
    """Serve ``store`` in a background thread; port 0 picks a free port."""
    handler = type("Handler", (_Handler,), {"store": store})
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name="sim-query-api", daemon=True)
    thread.start()
    return QueryServer(server, thread)
