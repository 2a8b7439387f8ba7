"""The signal watcher: join signals to incidents, find spikes, follow up low scores.

``watch_signals`` runs from the worker on every iteration but does its work at
most once per ``signal_evaluate_seconds``, at instants on that grid, in one
unit of work:

1. **join**: complaints with a touchpoint are attached to the incident that
   covers it, from ``signal_join_before_minutes`` before the incident opened
   until ``signal_join_after_minutes`` after it resolved (complaints lag).
   Survey answers are not joined by their time (a survey asks about an
   interaction hours earlier) but through their customer, below;
2. **follow up**: a low score (NPS 0–6, CSAT 1–2) from a customer whose
   complaints are attached to a recent incident adds a ``customer_signal``
   event to that incident, carrying only the customer's pseudonym; playbooks
   with a ``low_score`` trigger then run their steps for it (support
   follow-up, a ticket, a CRM note through webhooks);
3. **spikes**: each touchpoint with enough complaining customers in the
   window is tested (``monitor.signals.spikes``). A spike on a touchpoint an
   open incident covers confirms it (a ``customer_signal`` event with the
   evidence); a spike nothing covers opens a customer-reported incident,
   ``sev3`` and not declared, whose timeline explains the evidence, and the
   playbooks run for it. Alerts on the same touchpoints later join it;
4. **calm**: a customer-reported incident no alert ever joined resolves once
   its spike has ended and its touchpoint stayed calm for
   ``signal_resolve_quiet_minutes``;
5. **retention**: once an hour, the text of signals older than
   ``signal_text_retention_days`` is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from monitor.catalog import Catalog
from monitor.domain import EventKind, IncidentState, Severity, Signal, TouchpointState
from monitor.settings import Settings
from monitor.signals.spikes import Span, SpikeParams, SpikeTest, baseline_spans, evaluate_window
from monitor.store import Store, UnitOfWork
from monitor.store.repositories.signals import SpikeRecord

log = logging.getLogger(__name__)

SOURCE = "signals"
EVALUATE, PURGE, STARTED = "evaluate", "purge", "started"
PURGE_EVERY = timedelta(hours=1)
JOIN_LOOKBACK = timedelta(hours=24)
"""Unattached signals are offered to incidents for this long after they occurred."""
MAX_EXAMINED = 1000
RESOLVED_CANDIDATES = 50


class Comms(Protocol):
    """What the watcher needs of ``services.comms.Comms``: planning in its unit of work.

    A Protocol rather than the import, because ``Comms`` reads the signal counts
    of ``services.signals`` for the Slack updates: the dependency points there.
    """

    def plan(self, uow: UnitOfWork, incident_ids: Iterable[int]) -> None:
        """Plan what the playbooks want for these incidents, in the caller's unit of work."""


@dataclass
class WatchReport:
    """What one evaluation did (for logs and tests)."""

    at: datetime
    attached: int = 0
    follow_ups: int = 0
    tests: list[SpikeTest] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    purged: int = 0


@dataclass(frozen=True)
class _Target:
    id: int
    opened_at: datetime
    resolved_at: datetime | None
    touchpoints: frozenset[str]


def spike_params(settings: Settings) -> SpikeParams:
    """The spike test's parameters from the settings."""
    return SpikeParams(
        window=timedelta(minutes=settings.signal_spike_window_minutes),
        baseline_weeks=settings.signal_baseline_weeks,
        floor_per_hour=settings.signal_floor_per_hour,
        alpha=settings.signal_spike_alpha,
        min_customers=settings.signal_spike_min_customers,
        overdispersion=settings.signal_overdispersion,
    )


def watch_signals(
    store: Store, *, catalog: Catalog, settings: Settings, comms: Comms | None, now: datetime
) -> WatchReport | None:
    """Do the watcher's work if an evaluation instant has passed; None when not due."""
    step = settings.signal_evaluate_seconds
    at = datetime.fromtimestamp(int(now.timestamp()) // step * step, UTC)
    with store.unit_of_work() as uow:
        last = uow.signals.watched(EVALUATE)
        if last is not None and last >= at:
            return None
        if uow.signals.watched(STARTED) is None:
            uow.signals.set_watched(STARTED, at=at)
        report = _Watch(uow, catalog=catalog, settings=settings, comms=comms, at=at).run()
        uow.signals.set_watched(EVALUATE, at=at)
        uow.commit()
    if report.opened or report.confirmed or report.resolved:
        log.info(
            "signals: opened %s, confirmed %s, resolved %s",
            report.opened,
            report.confirmed,
            report.resolved,
        )
    return report


class _Watch:
    """One evaluation at instant ``at``, inside the caller's unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        catalog: Catalog,
        settings: Settings,
        comms: Comms | None,
        at: datetime,
    ) -> None:
        self.uow, self.catalog, self.settings, self.comms = uow, catalog, settings, comms
        self.params = spike_params(settings)
        self.report = WatchReport(at=at)
        self.at = at
        self.planned: set[int] = set()

    def run(self) -> WatchReport:
        self.join()
        self.follow_up()
        self.detect()
        self.calm()
        self.purge()
        if self.comms is not None and self.planned:
            self.comms.plan(self.uow, self.planned)
        return self.report

    def join(self) -> None:
        waiting = self.uow.signals.unattached(since=self.at - JOIN_LOOKBACK, until=self.at)
        targets = self._targets() if waiting else []
        if not targets:
            return
        before = timedelta(minutes=self.settings.signal_join_before_minutes)
        after = timedelta(minutes=self.settings.signal_join_after_minutes)
        by_incident: dict[int, list[int]] = {}
        for signal in waiting:
            for target in targets:  # newest first: the most recent matching incident wins
                if signal.touchpoint not in target.touchpoints:
                    continue
                end = (target.resolved_at or self.at) + after
                if target.opened_at - before <= signal.occurred_at <= end:
                    by_incident.setdefault(target.id, []).append(signal.id)
                    break
        for incident_id, ids in by_incident.items():
            self.uow.signals.attach(ids, incident_id)
            self.report.attached += len(ids)
            self.planned.add(incident_id)  # head messages show the new counts

    def follow_up(self) -> None:
        signals = self.uow.signals.unexamined(limit=MAX_EXAMINED)
        since = self.at - timedelta(days=self.settings.signal_followup_days)
        for signal in signals:
            if not signal.is_low_score or signal.customer_ref is None:
                continue
            incidents = self.uow.signals.incidents_of_customer(signal.customer_ref, since=since)
            incident_id = signal.incident_id or next(iter(incidents), None)
            if incident_id is None:
                continue
            self._follow_up(incident_id, signal)
        self.uow.signals.mark_examined([s.id for s in signals], at=self.at)

    def _follow_up(self, incident_id: int, signal: Signal) -> None:
        kind = signal.score_kind.value if signal.score_kind else "score"
        self.uow.incidents.add_event(
            incident_id,
            at=self.at,
            kind=EventKind.CUSTOMER_SIGNAL,
            source=SOURCE,
            summary=f"A customer affected by this incident gave a low score "
            f"({kind.upper()} {signal.score}): follow up",
            data={
                "kind": "low_score",
                "customer_ref": signal.customer_ref,
                "score": signal.score,
                "score_kind": kind,
                "signal_id": signal.id,
                "source": signal.source,
                "touchpoint": signal.touchpoint,
                "answered_at": signal.occurred_at.isoformat(),
            },
        )
        self.report.follow_ups += 1
        self.planned.add(incident_id)

    def detect(self) -> None:
        window = Span(self.at - self.params.window, self.at)
        spikes = self.uow.signals.open_spikes()
        busy = self.uow.signals.busy_touchpoints(
            start=window.start, end=window.end, at_least=self.params.min_customers
        )
        # The baseline reaches back to when signals started being collected: the
        # first stored signal or the first evaluation, whichever is older.
        started = self.uow.signals.watched(STARTED) or self.at
        earliest = min(self.uow.signals.earliest() or started, started)
        for touchpoint in sorted(set(busy) | set(spikes)):
            test = self._test(touchpoint, window, since=earliest)
            self.report.tests.append(test)
            spike = spikes.get(touchpoint)
            if spike is None and test.alarm:
                self._start(test)
            elif spike is not None and test.alarm:
                peak = int(spike.peak.get("observed_customers", 0))
                changes: dict[str, object] = {"last_alarm_at": self.at}
                if test.observed > peak:
                    changes["peak"] = test.evidence()
                self.uow.signals.update_spike(spike.id, changes)
            elif spike is not None and self.at - spike.last_alarm_at >= self.params.window:
                self.uow.signals.update_spike(spike.id, {"ended_at": self.at})

    def _test(self, touchpoint: str, window: Span, *, since: datetime) -> SpikeTest:
        keys = self.uow.signals.sender_keys(
            touchpoint, start=window.start, end=window.end, unattached_only=False
        )
        baseline = [
            (
                span,
                self.uow.signals.sender_keys(
                    touchpoint, start=span.start, end=span.end, unattached_only=True
                ),
            )
            for span in baseline_spans(window_end=window.end, params=self.params, since=since)
        ]
        return evaluate_window(
            touchpoint=touchpoint,
            window=window,
            window_keys=keys,
            baseline=baseline,
            params=self.params,
        )

    def _start(self, test: SpikeTest) -> None:
        touchpoint = test.touchpoint
        name = self._name(touchpoint)
        covering = [a.id for a in self.uow.incidents.active() if touchpoint in a.touchpoints]
        opened = not covering
        incident_id = covering[-1] if covering else self._open(test, name)
        summary = (
            f"Customers confirm the impact on {name}: {test.describe(name)}"
            if covering
            else f"Customer-reported: {test.describe(name)}"
        )
        self.uow.incidents.add_event(
            incident_id,
            at=self.at,
            kind=EventKind.CUSTOMER_SIGNAL,
            source=SOURCE,
            summary=summary,
            data={"kind": "spike", "confirms_incident": not opened, **test.evidence()},
        )
        self.uow.signals.add_spike(
            touchpoint=touchpoint,
            at=self.at,
            incident_id=incident_id,
            opened_incident=opened,
            evidence=test.evidence(),
        )
        unattached = self.uow.signals.unattached(since=test.window.start, until=test.window.end)
        ids = [s.id for s in unattached if s.touchpoint == touchpoint]
        self.uow.signals.attach(ids, incident_id)
        self.report.attached += len(ids)
        self.uow.incidents.touch(incident_id, at=self.at)
        (self.report.opened if opened else self.report.confirmed).append(incident_id)
        self.planned.add(incident_id)

    def _open(self, test: SpikeTest, name: str) -> int:
        incident_id = self.uow.incidents.open(
            title=f"Customers report problems with {name}",
            at=self.at,
            severity=Severity.SEV3,
            declared=False,
            touchpoints={test.touchpoint: TouchpointState.DEGRADED_PERFORMANCE},
        )
        self.uow.incidents.add_event(
            incident_id,
            at=self.at,
            kind=EventKind.OPENED,
            source=SOURCE,
            summary=f"Opened from customer signals: {test.describe(name)}. No alert or open "
            f"incident covers {name}; severity sev3 until an alert or a person confirms it",
            data={"customer_reported": True, **test.evidence()},
        )
        return incident_id

    def calm(self) -> None:
        quiet = timedelta(minutes=self.settings.signal_resolve_quiet_minutes)
        recent = self.uow.signals.spikes_since(self.at - timedelta(days=7))
        for incident_id in _customer_reported(recent):
            spikes = [s for s in recent if s.incident_id == incident_id]
            if any(s.ended_at is None for s in spikes):
                continue
            incident = self.uow.incidents.get(incident_id)
            if incident.state is IncidentState.RESOLVED or incident.total_alerts > 0:
                continue
            last_alarm = max(s.last_alarm_at for s in spikes)
            if self.at - last_alarm < quiet:
                continue
            self.uow.incidents.update(
                incident_id,
                {"state": IncidentState.RESOLVED, "resolved_at": self.at, "updated_at": self.at},
            )
            self.uow.incidents.add_event(
                incident_id,
                at=self.at,
                kind=EventKind.STATE_CHANGED,
                source=SOURCE,
                summary=f"Resolved: customer signals back to their usual level for "
                f"{int(quiet.total_seconds() // 60)} min, and no alert fired",
                data={"from": incident.state.value, "to": IncidentState.RESOLVED.value},
            )
            self.report.resolved.append(incident_id)
            self.planned.add(incident_id)

    def purge(self) -> None:
        last = self.uow.signals.watched(PURGE)
        if last is not None and self.at - last < PURGE_EVERY:
            return
        cutoff = self.at - timedelta(days=self.settings.signal_text_retention_days)
        self.report.purged = self.uow.signals.purge_text(received_before=cutoff)
        self.uow.signals.set_watched(PURGE, at=self.at)

    def _targets(self) -> list[_Target]:
        after = timedelta(minutes=self.settings.signal_join_after_minutes)
        targets = [
            _Target(a.id, a.opened_at, None, a.touchpoints) for a in self.uow.incidents.active()
        ]
        for incident in self.uow.incidents.recent(
            states=[IncidentState.RESOLVED], limit=RESOLVED_CANDIDATES
        ):
            if incident.merged_into is not None or incident.resolved_at is None:
                continue
            if incident.resolved_at + after < self.at - JOIN_LOOKBACK:
                continue
            touched = frozenset(incident.touchpoints) | frozenset(incident.peak_touchpoints)
            targets.append(_Target(incident.id, incident.opened_at, incident.resolved_at, touched))
        return sorted(targets, key=lambda t: (t.opened_at, t.id), reverse=True)

    def _name(self, touchpoint: str) -> str:
        found = self.catalog.touchpoints.get(touchpoint)
        return found.name if found is not None else touchpoint


def _customer_reported(spikes: Iterable[SpikeRecord]) -> list[int]:
    return sorted({s.incident_id for s in spikes if s.opened_incident and s.incident_id})
