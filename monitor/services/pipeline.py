"""The pipeline, in the order a batch of alerts goes through it.

``Pipeline.process_batch`` is the one function to read: each accepted
delivery is deduplicated, correlated with the catalog, grouped into incidents
whose customer picture and severity are refreshed, and marked processed, all
in one unit of work. A crash anywhere leaves the batch pending and the
database unchanged, and every step is idempotent, so processing it again
gives the same result.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from monitor.catalog import Catalog
from monitor.domain import TouchpointState
from monitor.services.comms import Comms
from monitor.services.correlation import LiveCorrelation
from monitor.services.lifecycle import Lifecycle
from monitor.settings import Settings
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.alerts import Outcome
from monitor.store.repositories.inbox import PendingBatch
from monitor.telemetry import Telemetry

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""A batch that fails this many times is parked with its error instead of blocking the inbox."""


class Pipeline:
    """Turns accepted deliveries into incidents; one instance per process."""

    def __init__(
        self,
        *,
        store: Store,
        catalog: Catalog,
        settings: Settings,
        telemetry: Telemetry,
        comms: Comms | None = None,
    ) -> None:
        self.store = store
        self.comms = comms
        self.catalog = catalog
        self.settings = settings
        self.telemetry = telemetry
        self.lifecycle = Lifecycle(catalog=catalog, settings=settings)
        self.correlation = LiveCorrelation(catalog, at=datetime.now().astimezone())
        self._rebuilt = False

    def rebuild(self, *, now: datetime | None = None) -> None:
        """Reload correlation state from the store (on start and after a failed batch)."""
        at = now or datetime.now().astimezone()
        with self.store.unit_of_work() as uow:
            firing = uow.alerts.firing()
            windows = uow.maintenance.current_and_future(now=at)
        self.correlation.reset(firing, maintenance=windows, at=at)
        self._reconcile_history(at)
        self._rebuilt = True

    def _reconcile_history(self, at: datetime) -> None:
        """Make the stored touchpoint states agree with correlation (after a restart or crash)."""
        states = self.correlation.states()
        with self.store.unit_of_work() as uow:
            stored = {t: p.state for t, p in uow.touchpoints.current().items()}
            changed = False
            for touchpoint in stored.keys() | states.keys():
                state = states.get(touchpoint, TouchpointState.OPERATIONAL)
                if stored.get(touchpoint) != state:
                    changed |= uow.touchpoints.record(touchpoint, state=state, at=at)
            if changed:
                uow.commit()

    def request_rebuild(self) -> None:
        """Ask for a rebuild before the next batch (maintenance windows changed)."""
        self._rebuilt = False

    def process_pending(self, *, now: datetime, limit: int = 100) -> int:
        """Process up to ``limit`` pending batches, oldest first; returns how many succeeded."""
        if not self._rebuilt:
            self.rebuild(now=now)
        transitions = self.correlation.advance(now)
        if transitions:
            with self.store.unit_of_work() as uow:
                for change in transitions:
                    uow.touchpoints.record(change.touchpoint, state=change.after, at=now)
                uow.commit()
        with self.store.unit_of_work() as uow:
            pending = [b.id for b in uow.inbox.pending(limit=limit)]
            self.telemetry.inbox_backlog.set(uow.inbox.backlog())
        done = 0
        for batch_id in pending:
            if self._process_one(batch_id, now=now):
                done += 1
        return done

    def _process_one(self, batch_id: int, *, now: datetime) -> bool:
        started = time.perf_counter()
        try:
            with self.store.unit_of_work() as uow:
                batch = next((b for b in uow.inbox.pending(limit=1) if b.id == batch_id), None)
                if batch is None:
                    return False  # another worker took it, or it is already done
                self.process_batch(uow, batch)
                uow.inbox.mark_processed(batch.id, at=now)
                uow.commit()
        except Exception as exc:
            self.telemetry.batch_failures.inc()
            log.exception("batch %s failed", batch_id)
            self._record_failure(batch_id, exc, now=now)
            self.rebuild(now=now)
            return False
        self.telemetry.batches_processed.inc()
        self.telemetry.processing_seconds.observe(time.perf_counter() - started)
        return True

    def process_batch(self, uow: UnitOfWork, batch: PendingBatch) -> set[int]:
        """The stages, in order, for one batch; returns the incidents it touched."""
        touched: set[int] = set()
        active = {i.id: i for i in uow.incidents.active() if not i.declared}
        for alert in batch.alerts:
            # 1. deduplicate: fingerprint + startsAt, resolved is final
            recorded = uow.alerts.record(alert, received_at=batch.received_at)
            if recorded.outcome is Outcome.DUPLICATE:
                continue
            # 2. correlate: components, touchpoints, maintenance
            if recorded.outcome is Outcome.RESOLVED_UNSEEN:
                impact = self.correlation.describe(recorded.alert)
            else:
                impact = self.correlation.apply(recorded.alert)
            at = recorded.alert.ends_at or recorded.alert.starts_at
            for change in impact.transitions:
                uow.touchpoints.record(change.touchpoint, state=change.after, at=at)
            uow.alerts.set_correlation(
                recorded.id,
                components=impact.components,
                touchpoints=impact.touchpoints,
                unmapped=impact.unmapped,
                suppressed=impact.suppressed,
            )
            # 3. incidents: open, join, merge, quiet
            if recorded.outcome is Outcome.FIRED and not impact.suppressed:
                placed = self.lifecycle.fired(uow, recorded, impact, active=active)
                touched.add(placed.incident_id)
            elif recorded.outcome is Outcome.RESOLVED:
                incident_id = self.lifecycle.resolved(uow, recorded)
                if incident_id is not None:
                    touched.add(incident_id)
                    # re-read: it may have gone quiet (or been resolved by a person)
                    current = uow.incidents.active_one(incident_id)
                    if current is not None and not current.declared:
                        active[incident_id] = current
                    else:
                        active.pop(incident_id, None)
        # 4. the customer picture and severity of every incident the batch touched
        for incident_id in sorted(touched):
            fingerprints = uow.alerts.firing_fingerprints(incident_id)
            self.lifecycle.refresh(uow, incident_id, self.correlation.picture(fingerprints))
        # 5. playbooks: plan the notifications, durable with the change that calls for them
        if self.comms is not None:
            self.comms.plan(uow, touched)
        return touched

    def resolve_quiet(self, *, now: datetime) -> list[int]:
        """Resolve incidents that stayed quiet long enough."""
        with self.store.unit_of_work() as uow:
            done = self.lifecycle.resolve_quiet(uow, now=now)
            if done and self.comms is not None:
                self.comms.plan(uow, done)
            if done:
                uow.commit()
        return done

    def _record_failure(self, batch_id: int, exc: Exception, *, now: datetime) -> None:
        try:
            with self.store.unit_of_work() as uow:
                pending = uow.inbox.pending(limit=1)
                attempts = next((b.attempts for b in pending if b.id == batch_id), 0) + 1
                give_up = now if attempts >= MAX_ATTEMPTS else None
                uow.inbox.record_failure(
                    batch_id, error=f"{type(exc).__name__}: {exc}", give_up_at=give_up
                )
                uow.commit()
        except Exception:
            log.exception("could not record the failure of batch %s", batch_id)
