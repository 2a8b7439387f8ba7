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
from dataclasses import replace
from datetime import datetime

from monitor.catalog import Catalog
from monitor.domain import TouchpointState
from monitor.services.comms import Comms
from monitor.services.correlation import LiveCorrelation
from monitor.services.firing_index import FiringIndex
from monitor.services.inbox_alerts import with_alerts
from monitor.services.lifecycle import Lifecycle
from monitor.services.replan import Replans
from monitor.settings import Settings
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.alerts import Outcome, Recorded
from monitor.store.repositories.inbox import PendingBatch
from monitor.store.repositories.incidents import ActiveIncident
from monitor.telemetry import Telemetry

log = logging.getLogger(__name__)

MAX_ALERTS_PER_TRANSACTION = 100
"""Batches are processed together up to this many alerts (a lone bigger batch goes alone)."""
PASS_SECONDS = 0.1
"""How long one pass of the worker processes before it delivers what was planned."""
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
        self.replans = Replans()
        self.firing = FiringIndex()

    def rebuild(self, *, now: datetime | None = None) -> None:
        """Reload correlation state from the store (on start and after a failed batch)."""
        at = now or datetime.now().astimezone()
        with self.store.unit_of_work() as uow:
            firing = uow.alerts.firing()
            windows = uow.maintenance.current_and_future(now=at)
        self.correlation.reset(firing, maintenance=windows, at=at)
        self.firing.clear()
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
        """Process pending batches, oldest first, for one pass; returns how many succeeded.

        Batches are taken together, up to ``MAX_ALERTS_PER_TRANSACTION`` alerts
        in one unit of work: in a storm each touched incident is then refreshed
        and planned once per group rather than once per delivery. A pass stops
        after ``PASS_SECONDS`` so the worker delivers what it planned (a new
        incident's first message) before it takes the rest of the backlog.
        """
        if not self._rebuilt:
            self.rebuild(now=now)
        transitions = self.correlation.advance(now)
        if transitions:
            with self.store.unit_of_work() as uow:
                for change in transitions:
                    uow.touchpoints.record(change.touchpoint, state=change.after, at=now)
                uow.commit()
        with self.store.unit_of_work() as uow:
            pending = uow.inbox.pending_sizes(limit=limit)
            self.telemetry.inbox_backlog.set(uow.inbox.backlog())
        done = 0
        deadline = time.perf_counter() + PASS_SECONDS
        for group in _groups(pending, max_alerts=MAX_ALERTS_PER_TRANSACTION):
            done += self._process_group(group, now=now)
            if time.perf_counter() >= deadline:
                break
        self.replan_waiting()
        return done

    def _process_group(self, batch_ids: list[int], *, now: datetime) -> int:
        if len(batch_ids) == 1:
            return int(self._process_one(batch_ids[0], now=now))
        started = time.perf_counter()
        try:
            with self.store.unit_of_work() as uow:
                batches = uow.inbox.claim(batch_ids)
                touched = Touched()
                active = self.joinable(uow)
                for batch in batches:
                    touched.update_from(self.apply_alerts(uow, batch, active=active))
                self.conclude(uow, touched)
                for batch in batches:
                    uow.inbox.mark_processed(batch.id, at=now)
                uow.commit()
        except Exception:
            # One batch may be what fails: take them one by one so it fails alone.
            log.warning("a group of %d batches failed; processing them one by one", len(batch_ids))
            self.rebuild(now=now)
            return sum(self._process_one(i, now=now) for i in batch_ids)
        self.telemetry.batches_processed.inc(len(batches))
        self.telemetry.processing_seconds.observe(time.perf_counter() - started)
        return len(batches)

    def _process_one(self, batch_id: int, *, now: datetime) -> bool:
        started = time.perf_counter()
        try:
            with self.store.unit_of_work() as uow:
                claimed = uow.inbox.claim([batch_id])
                if not claimed:
                    return False  # another worker took it, or it is already done
                self.process_batch(uow, claimed[0])
                uow.inbox.mark_processed(batch_id, at=now)
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
        touched = self.apply_alerts(uow, batch)
        self.conclude(uow, touched)
        return set(touched)

    def apply_alerts(
        self,
        uow: UnitOfWork,
        batch: PendingBatch,
        *,
        active: dict[int, ActiveIncident] | None = None,
    ) -> Touched:
        """Stages 1 to 3 for each alert of a batch; returns the incidents it touched.

        ``active`` (the incidents alerts may join) is kept current as alerts
        open, join and merge incidents, so a group of batches shares one copy.
        """
        touched = Touched()
        if active is None:
            active = self.joinable(uow)
        alerts = with_alerts(batch).alerts
        if alerts:
            earliest = min(a.starts_at for a in alerts)
            uow.alerts.prefetch(alerts, since=self.lifecycle.flap_since_time(earliest))
        for alert in alerts:
            # 1. deduplicate: fingerprint + startsAt, resolved is final
            since = self.lifecycle.flap_since(alert)
            recorded = uow.alerts.record(alert, received_at=batch.received_at, since=since)
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
                for loser in placed.merged:
                    self.firing.merged(loser=loser, winner=placed.incident_id)
                self.firing.fired(placed.incident_id, recorded.alert.fingerprint)
                touched.add(placed.incident_id)
                if placed.news or impact.transitions:
                    touched.news.add(placed.incident_id)
            elif recorded.outcome is Outcome.RESOLVED and recorded.incident_id is not None:
                quiet = self._resolved(uow, recorded, recorded.incident_id, active=active)
                touched.add(recorded.incident_id)
                if quiet or impact.transitions:
                    touched.news.add(recorded.incident_id)
        return touched

    def _resolved(
        self,
        uow: UnitOfWork,
        recorded: Recorded,
        incident_id: int,
        *,
        active: dict[int, ActiveIncident],
    ) -> bool:
        """Stage 3 for a resolution; True when nothing of the incident fires any more.

        While other alerts of the incident fire, nothing grouping knows of it
        changes but its last activity, so it is not read again; a storm
        resolving thousands of alerts would otherwise read it thousands of times.
        """
        self.firing.resolved(incident_id, recorded.alert.fingerprint)
        firing, _total = self.firing.counts(uow, incident_id)
        self.lifecycle.resolved(uow, recorded, firing=firing)
        known = active.get(incident_id)
        if firing and known is not None:
            at = recorded.alert.ends_at or recorded.alert.starts_at
            latest = max(known.last_activity_at, at)
            active[incident_id] = replace(known, last_activity_at=latest)
            return False
        # re-read: it may have gone quiet (or been resolved by a person)
        current = uow.incidents.active_one(incident_id)
        if current is not None and not current.declared:
            active[incident_id] = current
        else:
            active.pop(incident_id, None)
        return not firing

    @staticmethod
    def joinable(uow: UnitOfWork) -> dict[int, ActiveIncident]:
        """The open incidents new alerts may join (declared ones are people's)."""
        return {i.id: i for i in uow.incidents.active() if not i.declared}

    def conclude(self, uow: UnitOfWork, touched: Touched) -> None:
        """Stages 4 and 5, once for every incident that one or more batches touched.

        An incident that only gained alerts (no touchpoint new to it, no state
        changed) waits a moment (``replan``): its picture cannot have changed
        but for the alerts it lists, and computing it reads the whole current
        correlation, which grows with a storm.
        """
        due = self.replans.due(touched, urgent=touched.news)
        self._refresh_and_plan(uow, due)

    def _refresh_and_plan(self, uow: UnitOfWork, due: set[int]) -> None:
        # 4. the customer picture and severity of every incident that is due
        for incident_id in sorted(due):
            picture = self.correlation.picture(self.firing.of(uow, incident_id))
            counts = self.firing.counts(uow, incident_id)
            self.lifecycle.refresh(uow, incident_id, picture, counts=counts)
        # 5. playbooks: plan the notifications, durable with the change that calls for them
        if self.comms is not None:
            self.comms.plan(uow, due)

    def replan_waiting(self) -> None:
        """Refresh and plan the incidents that were put off, once they are due."""
        if not self.replans.waiting():
            return
        with self.store.unit_of_work() as uow:
            due = self.replans.due((), urgent=())
            if due:
                self._refresh_and_plan(uow, due)
                uow.commit()

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
                # not pending(): the batch's alerts may be what cannot be read
                attempts = uow.inbox.attempts_of(batch_id) + 1
                give_up = now if attempts >= MAX_ATTEMPTS else None
                uow.inbox.record_failure(
                    batch_id, error=f"{type(exc).__name__}: {exc}", give_up_at=give_up
                )
                uow.commit()
        except Exception:
            log.exception("could not record the failure of batch %s", batch_id)


class Touched(set[int]):
    """Incidents a batch touched; ``news`` are those whose change people are told about."""

    def __init__(self) -> None:
        super().__init__()
        self.news: set[int] = set()

    def update_from(self, other: Touched) -> None:
        """Add another batch's touched incidents and news."""
        self.update(other)
        self.news.update(other.news)


def _groups(pending: list[tuple[int, int]], *, max_alerts: int) -> list[list[int]]:
    """Consecutive batch ids whose alerts add up to at most ``max_alerts`` (at least one id)."""
    groups: list[list[int]] = []
    size = 0
    for batch_id, alerts in pending:
        if not groups or size + alerts > max_alerts:
            groups.append([])
            size = 0
        groups[-1].append(batch_id)
        size += alerts
    return groups
