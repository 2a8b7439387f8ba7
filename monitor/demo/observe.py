"""What the monitor concludes, read back the way its users read it: API, status page, Slack.

Each ``look`` reads the internal status, the incidents with their
timelines, the notification sink and (when the public indicator changes)
the status page itself, and returns what is new since the last look as
lines for the log; ``View`` keeps the latest picture for the live panel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ESTIMATE_LOG_EVERY = timedelta(minutes=5)
"""Live estimates come every simulated minute; the log shows one every five (the panel all)."""


@dataclass(frozen=True)
class Line:
    """One thing that happened, for the log."""

    at: datetime
    kind: str
    text: str


@dataclass
class View:
    """The latest picture: touchpoints, incidents, estimates, messages."""

    indicator: str = "none"
    touchpoints: dict[str, str] = field(default_factory=dict)
    """Touchpoints that are not operational, with their state."""
    incidents: list[dict[str, Any]] = field(default_factory=list)
    estimates: dict[int, dict[str, str]] = field(default_factory=dict)
    """Per incident, per touchpoint: the latest estimate as text."""
    messages: list[str] = field(default_factory=list)
    reports: dict[int, str] = field(default_factory=dict)
    """Per incident: where the API serves its stored report."""
    final: set[int] = field(default_factory=set)
    """Incidents that have their final estimate."""


class Observer:
    """Polls a running monitor and remembers what it has already shown."""

    def __init__(self, client: httpx.Client, *, sink: Path | None, snapshots: Path) -> None:
        """``sink`` is the notification file, or None when messages go to a real Slack."""
        self._client = client
        self._sink = sink
        self._sink_offset = 0
        self._snapshots = snapshots
        self._seen_events: set[int] = set()
        self._logged_estimate: dict[int, datetime] = {}
        self.view = View()

    def look(self, now: datetime) -> list[Line]:
        """Read the monitor once; returns what changed since the last look."""
        lines: list[Line] = []
        lines += self._status(now)
        lines += self._incidents()
        lines += self._messages(now)
        return sorted(lines, key=lambda line: line.at)

    def _status(self, now: datetime) -> list[Line]:
        body = self._client.get("/api/v1/status").json()
        lines: list[Line] = []
        states = {t["id"]: t["state"] for t in body["touchpoints"]}
        for tp, state in sorted(states.items()):
            before = self.view.touchpoints.get(tp, "operational")
            if state != before:
                lines.append(Line(now, "touchpoint", f"{tp}: {before} → {state}"))
        self.view.touchpoints = {t: s for t, s in states.items() if s != "operational"}
        if body["indicator"] != self.view.indicator:
            self.view.indicator = body["indicator"]
            lines.append(Line(now, "status page", self._status_page(now, body)))
        return lines

    def _status_page(self, now: datetime, status: dict[str, Any]) -> str:
        """Fetch the public page, keep a copy, and say what it shows."""
        page = self._client.get("/", headers={"Accept-Language": "en"})
        self._snapshots.mkdir(parents=True, exist_ok=True)
        copy = self._snapshots / f"status-{now:%Y%m%dT%H%M}-{status['indicator']}.html"
        copy.write_text(page.text, encoding="utf-8")
        shown = [
            f"{t['name']} {t['state'].replace('_', ' ')}"
            for t in status["touchpoints"]
            if t["state"] != "operational"
        ]
        what = ", ".join(shown) if shown else "all systems operational"
        return f"indicator {status['indicator']}: {what} (copy in {copy})"

    def _incidents(self) -> list[Line]:
        items = self._client.get("/api/v1/incidents").json()["items"]
        self.view.incidents = [i for i in items if i["merged_into"] is None]
        lines: list[Line] = []
        for incident in self.view.incidents:
            detail = self._client.get(f"/api/v1/incidents/{incident['id']}").json()
            for event in detail["timeline"]:
                if event["id"] in self._seen_events:
                    continue
                self._seen_events.add(event["id"])
                line = self._event(incident["id"], event)
                if line is not None:
                    lines.append(line)
        return lines

    def _event(self, incident_id: int, event: dict[str, Any]) -> Line | None:
        at = datetime.fromisoformat(event["at"])
        kind, data = event["kind"], event["data"]
        label = f"incident #{incident_id}"
        if kind == "estimate_updated":
            texts = estimate_texts(data)
            self.view.estimates[incident_id] = texts
            if data.get("final"):
                self.view.final.add(incident_id)
            final = bool(data.get("final"))
            last = self._logged_estimate.get(incident_id)
            if not final and last is not None and at - last < ESTIMATE_LOG_EVERY:
                return None
            self._logged_estimate[incident_id] = at
            what = "final estimate" if final else "estimate so far"
            shown = "; ".join(f"{tp} {text}" for tp, text in texts.items())
            return Line(at, "estimate", f"{label} {what}: {shown}")
        if kind == "report_written":
            self.view.reports[incident_id] = str(data.get("path", ""))
            return Line(at, "report", f"{label}: {event['summary']}")
        if kind == "message_sent" and self._sink is None:
            return Line(at, "slack", event["summary"])
        if kind in ("message_sent", "playbook_step"):
            return None  # the sink shows the messages themselves
        return Line(at, "incident", f"{label}: {event['summary']}")

    def _messages(self, now: datetime) -> list[Line]:
        """New sink records: every one in the panel; posts, replies and calls in the log.

        Head-message edits (one per channel at each new estimate) would drown
        the log, and the same words posted to several channels are one line.
        """
        if self._sink is None or not self._sink.exists():
            return []
        with self._sink.open(encoding="utf-8") as handle:
            handle.seek(self._sink_offset)
            text = handle.read()
        complete = text[: text.rfind("\n") + 1]
        self._sink_offset += len(complete.encode("utf-8"))
        channels: dict[tuple[str, str], list[str]] = {}
        for raw in complete.splitlines():
            where, how, words = message_parts(json.loads(raw))
            first = words.strip().splitlines()[0] if words.strip() else ""
            channels.setdefault((how, first), []).append(where)
        grouped = [
            (how, f"{', '.join(dict.fromkeys(where))} {how}: {first}")
            for (how, first), where in channels.items()
        ]
        self.view.messages = [*self.view.messages, *(text for _, text in grouped)][-5:]
        return [Line(now, "slack", text) for how, text in grouped if how != "edit"]


def estimate_texts(data: dict[str, Any]) -> dict[str, str]:
    """Per touchpoint: affected customers (so far while live) with the interval, or why not."""
    key = "affected_customers" if data.get("final") else "affected_so_far"
    texts: dict[str, str] = {}
    for tp, figures in data.get("touchpoints", {}).items():
        value = figures.get(key)
        if value is None:
            texts[tp] = "unknown (no data to estimate from)"
        else:
            level = round(100 * float(value["level"]))
            texts[tp] = (
                f"{value['estimate']:,} customers [{value['low']:,}–{value['high']:,}, {level}%]"
            )
    return texts


def message_parts(record: dict[str, Any]) -> tuple[str, str, str]:
    """Where a sink record went, how (post, reply, edit, call) and its words."""
    if "call" in record:
        body = json.dumps(record.get("body", {}), ensure_ascii=False)
        return str(record["call"]), "call", body
    where = str(record.get("channel") or "?")
    if record.get("method") == "chat.update":
        how = "edit"
    elif record.get("thread_ts"):
        how = "reply"
    else:
        how = "post"
    return where, how, str(record.get("text", ""))
