"""Accepting signals at the door: validate, pseudonymise, attribute, store.

This is the short path that runs before the sender gets its answer. The raw
customer reference lives only in memory here, until it is replaced by its
keyed pseudonym; the text is stored (it is purged after the retention period)
but never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.catalog import Catalog
from monitor.errors import InputError
from monitor.services.accept import reject_delivery
from monitor.services.signals.keys import pseudonym_key
from monitor.settings import Settings
from monitor.signals.attribution import EXPLICIT, Rules, fold
from monitor.signals.normalise import SignalDraft, parse_signal
from monitor.signals.pseudonym import pseudonymise
from monitor.store import Store, UnitOfWork

REJECTED_KEEP_BYTES = 256 * 1024


@dataclass(frozen=True)
class RejectedSignal:
    """One refused item of a delivery, and why (the reason starts with its location)."""

    index: int
    reason: str


@dataclass(frozen=True)
class AcceptedSignals:
    """What the sender is told: stored ids, refused items and where the body was kept."""

    ids: tuple[int, ...]
    rejected: tuple[RejectedSignal, ...]
    rejected_payload_id: int | None = None


def parse_items(
    items: Sequence[object],
    *,
    where: str,
    catalog: Catalog,
    now: datetime,
    naive_is_utc: bool = False,
) -> tuple[list[SignalDraft], list[RejectedSignal]]:
    """Validate items one by one; ``where`` is a format with ``{}`` for the index."""
    drafts: list[SignalDraft] = []
    rejected: list[RejectedSignal] = []
    for index, raw in enumerate(items):
        try:
            drafts.append(
                parse_signal(
                    raw,
                    where=where.format(index),
                    now=now,
                    touchpoints=catalog.touchpoints.keys(),
                    naive_is_utc=naive_is_utc,
                )
            )
        except InputError as exc:
            rejected.append(RejectedSignal(index, str(exc)))
    return drafts, rejected


def accept_signals(
    store: Store,
    *,
    drafts: Sequence[SignalDraft],
    catalog: Catalog,
    settings: Settings,
    received_at: datetime,
    rejected: Sequence[RejectedSignal] = (),
    body: bytes | None = None,
    endpoint: str = "",
) -> AcceptedSignals:
    """Store valid signals in one transaction (keeping the body when some were refused)."""
    key = pseudonym_key(settings)
    rules = Rules.of(catalog)
    with store.unit_of_work() as uow:
        ids = tuple(_store(uow, d, rules=rules, key=key, received_at=received_at) for d in drafts)
        kept = None
        if rejected and body is not None:
            kept = uow.inbox.add_rejected(
                endpoint=endpoint,
                reason="; ".join(r.reason for r in rejected[:50]),
                body=body,
                size_bytes=len(body),
                content_type="application/json",
                received_at=received_at,
                keep_bytes=REJECTED_KEEP_BYTES,
            )
        uow.commit()
    return AcceptedSignals(ids, tuple(rejected), kept)


def keep_refused(
    store: Store, *, endpoint: str, reason: str, body: bytes, content_type: str | None, at: datetime
) -> int:
    """Keep a refused signals body for inspection; returns its id."""
    return reject_delivery(
        store,
        endpoint=endpoint,
        reason=reason,
        body=body,
        size_bytes=len(body),
        content_type=content_type,
        received_at=at,
    )


def _store(
    uow: UnitOfWork, draft: SignalDraft, *, rules: Rules, key: bytes, received_at: datetime
) -> int:
    touchpoint, attributed_by = draft.touchpoint, EXPLICIT if draft.touchpoint else None
    if touchpoint is None:
        found = rules.attribute(draft.text)
        touchpoint, attributed_by = found.touchpoint, found.rule
    ref = pseudonymise(draft.customer, key=key) if draft.customer else None
    return uow.signals.add(
        received_at=received_at,
        occurred_at=draft.occurred_at,
        source=draft.source,
        channel=draft.channel,
        text=draft.text,
        score=draft.score,
        score_kind=draft.score_kind,
        touchpoint=touchpoint,
        attributed_by=attributed_by,
        customer_ref=ref,
        sender_key=_sender_key(ref, draft.text, key=key),
    )


def _sender_key(ref: str | None, text: str | None, *, key: bytes) -> str:
    """Who spike counts treat as one sender: the customer, else the same words, else nobody."""
    if ref is not None:
        return ref
    if text:
        digest = hmac.new(key, b"text:" + fold(text).encode(), hashlib.sha256).hexdigest()
        return "t" + digest[:63]
    return "u" + uuid.uuid4().hex
