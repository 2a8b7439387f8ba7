"""API schemas of customer signals (``POST /api/v1/signals`` and an incident's signals)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SignalCreate(BaseModel):
    """One signal as a sender posts it (see ``monitor.signals.normalise`` for the rules)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$", description="Sending system.")
    time: str = Field(description="RFC 3339 time with a zone: when the customer spoke.")
    channel: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$", description="phone, chat…")
    text: str | None = Field(default=None, description="What the customer said.")
    score: int | None = Field(default=None, ge=0, le=10, description="NPS 0–10 or CSAT 1–5.")
    score_kind: str | None = Field(default=None, pattern=r"^(nps|csat)$")
    touchpoint: str | None = Field(default=None, description="A catalog touchpoint id.")
    customer: str | None = Field(
        default=None, max_length=256, description="Customer reference; only its pseudonym is kept."
    )


class SignalRejectedItem(BaseModel):
    """One refused signal, with the location and reason."""

    index: int
    reason: str


class SignalsResult(BaseModel):
    """What was stored and what was refused."""

    accepted: int
    ids: list[int]
    rejected: list[SignalRejectedItem]
    rejected_payload_id: int | None


class SignalSampleRead(BaseModel):
    """One thing a customer said, without who said it."""

    occurred_at: datetime
    touchpoint: str | None
    source: str
    channel: str
    text: str


class IncidentSignalsRead(BaseModel):
    """The customer signals attached to an incident: counts, samples, spike evidence."""

    incident_id: int
    signals: int
    customers: int
    by_touchpoint: dict[str, int]
    by_source: dict[str, int]
    by_touchpoint_and_source: dict[str, dict[str, int]]
    low_scores: int
    first_at: datetime | None
    last_at: datetime | None
    samples: list[SignalSampleRead]
    spikes: list[dict[str, Any]]


def request_body_schema() -> dict[str, Any]:
    """The OpenAPI request body: one signal, or ``{"signals": [...]}``."""
    one = SignalCreate.model_json_schema()
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        one,
                        {
                            "type": "object",
                            "properties": {"signals": {"type": "array", "items": one}},
                            "required": ["signals"],
                            "additionalProperties": False,
                        },
                    ]
                }
            }
        },
    }
