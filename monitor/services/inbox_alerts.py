"""The alerts of a batch that the accept path left in their delivery's body.

A storm's well-formed webhooks are screened on the request path and stored
as they came (``monitor.ingest.alertmanager.screen_alertmanager``); building
their domain alerts is the worker's job, off the sender's clock. Parsing
again with the time of receipt gives exactly the alerts the screen counted;
if it does not (a parser changed under a waiting batch), the batch fails
loudly, is retried and then parked with the reason, its body intact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from monitor.errors import InboxReadError, InputError
from monitor.ingest.alertmanager import parse_alertmanager
from monitor.ingest.limits import IngestLimits
from monitor.ingest.validation import ParsedBatch
from monitor.store.repositories.inbox import PendingBatch

PARSERS: dict[str, Callable[..., ParsedBatch]] = {"alertmanager": parse_alertmanager}
"""The sources whose deliveries may be stored unparsed, and how to read them."""


def with_alerts(batch: PendingBatch) -> PendingBatch:
    """``batch`` with its alerts, parsed from its body when the accept path left them there."""
    if batch.payload is None:
        return batch
    parser = PARSERS.get(batch.source)
    if parser is None:
        raise InboxReadError(f"batch {batch.id}: no parser for source {batch.source!r}")
    try:
        parsed = parser(batch.payload, now=batch.received_at, limits=IngestLimits())
    except InputError as exc:
        raise InboxReadError(f"batch {batch.id}: its body no longer parses ({exc})") from None
    if parsed.rejected or len(parsed.alerts) != batch.alert_count:
        raise InboxReadError(
            f"batch {batch.id}: {len(parsed.alerts)} alerts parsed from its body, "
            f"{batch.alert_count} accepted"
        )
    return dataclasses.replace(batch, alerts=parsed.alerts, payload=None)
