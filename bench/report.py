"""Time to build and render the post-incident report of a 6-hour incident with 10,000 alerts.

Run as ``python -m bench.report [--alerts N] [--hours H] [--database-url URL]``.
The incident is written straight through the repositories (the pipeline's
own speed is measured elsewhere): its alerts, every alert event, a live
estimate each minute for each touchpoint, touchpoint state periods, Slack
messages, status page updates and playbook steps. The figure is the time to
build the report and render it as Markdown, HTML (with its charts) and JSON,
against a ceiling of 2 seconds; the exit code is 1 when it is over.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.catalog import Catalog, load_catalog
from monitor.domain import Alert, AlertStatus, EventKind, IncidentState, Severity, TouchpointState
from monitor.report import ReportFormat, build_report, render
from monitor.store import Store, create_store_engine, migrate

REPO = Path(__file__).resolve().parent.parent
CEILING_SECONDS = 2.0
START = datetime(2026, 10, 14, 8, 0, tzinfo=UTC)
TOUCHPOINTS = ("card-payments", "transfers", "mobile-login")
COMPONENTS = ("db-primary-eu", "card-auth", "transfers-svc", "mobile-bff")


def _figure(n: int) -> dict[str, object]:
    return {"estimate": n, "low": int(n * 0.9), "high": int(n * 1.1), "level": 0.9}


def _estimate(at: datetime, *, start: datetime, final: bool, minute: int) -> dict[str, object]:
    figures = {
        tp: {
            "affected_customers": _figure(40 * minute * (i + 1)),
            "affected_so_far": _figure(40 * minute * (i + 1)),
            "failed_interactions": _figure(150 * minute * (i + 1)),
            "exposed_customers": None,
            "methods": ["prometheus_traffic", "operational_sql"],
            "quality": ["operational data complete"],
        }
        for i, tp in enumerate(TOUCHPOINTS)
    }
    window = {"start": start.isoformat(), "end": at.isoformat()}
    return {"final": final, "window": window, "touchpoints": figures}


def seed_incident(
    store: Store,
    *,
    catalog: Catalog,
    alerts: int = 10_000,
    hours: float = 6.0,
    start: datetime = START,
) -> int:
    """Write a resolved incident of ``hours`` from ``start`` with ``alerts`` alerts; its id."""
    end = start + timedelta(hours=hours)
    known = [tp for tp in TOUCHPOINTS if tp in catalog.touchpoints]
    with store.unit_of_work() as uow:
        incident_id = uow.incidents.open(
            title="Card payments, transfers and mobile login affected (db-primary-eu)",
            at=start,
            severity=Severity.SEV1,
            touchpoints=dict.fromkeys(known, TouchpointState.MAJOR_OUTAGE),
            components=COMPONENTS,
        )
        uow.incidents.add_event(
            incident_id, at=start, kind=EventKind.OPENED, source="pipeline", summary="Opened"
        )
        step = (end - start) / alerts
        for n in range(alerts):
            starts = start + step * n
            alert = Alert(
                fingerprint=f"{n:016x}",
                source="alertmanager",
                status=AlertStatus.RESOLVED,
                labels={"alertname": f"Alert{n % 40}", "instance": f"host-{n % 300}"},
                annotations={"summary": "something is wrong"},
                starts_at=starts,
                ends_at=starts + timedelta(minutes=5),
            )
            recorded = uow.alerts.record(alert, received_at=starts + timedelta(seconds=20))
            uow.alerts.assign(recorded.id, incident_id)
            uow.alerts.set_correlation(
                recorded.id,
                components=[COMPONENTS[n % len(COMPONENTS)]],
                touchpoints=known[:1],
                unmapped=False,
                suppressed=False,
            )
            data = {"fingerprint": alert.fingerprint, "labels": dict(alert.labels)}
            uow.incidents.add_event(
                incident_id,
                at=starts,
                kind=EventKind.ALERT_FIRED,
                source="alertmanager",
                summary=f"{alert.name} fired",
                data=data,
            )
        minutes = int((end - start).total_seconds() // 60)
        for minute in range(1, minutes + 1):
            at = start + timedelta(minutes=minute)
            uow.incidents.add_event(
                incident_id,
                at=at,
                kind=EventKind.ESTIMATE_UPDATED,
                source="impact",
                summary="Impact so far",
                data=_estimate(at, start=start, final=False, minute=minute),
            )
            if minute % 30 == 0:
                uow.incidents.add_event(
                    incident_id,
                    at=at,
                    kind=EventKind.MESSAGE_SENT,
                    source="playbook:payments",
                    summary="payments update: slack_post in #payments sent",
                    data={"action": "slack_post", "channel": "#payments"},
                )
                uow.incidents.add_event(
                    incident_id,
                    at=at,
                    kind=EventKind.PUBLIC_UPDATE,
                    source="user:comms",
                    summary="We are still working on it.",
                    data={"en": "We are still working on it.", "fr": ""},
                )
        for i, tp in enumerate(known):
            uow.touchpoints.record(tp, state=TouchpointState.PARTIAL_OUTAGE, at=start)
            uow.touchpoints.record(
                tp, state=TouchpointState.MAJOR_OUTAGE, at=start + timedelta(minutes=20 + i)
            )
            uow.touchpoints.record(tp, state=TouchpointState.OPERATIONAL, at=end)
        uow.incidents.update(
            incident_id, {"state": IncidentState.RESOLVED, "resolved_at": end, "updated_at": end}
        )
        uow.incidents.add_event(
            incident_id,
            at=end + timedelta(minutes=1),
            kind=EventKind.ESTIMATE_UPDATED,
            source="impact",
            summary="Final impact",
            data=_estimate(end, start=start, final=True, minute=minutes),
        )
        uow.commit()
    return incident_id


def measure(store: Store, *, catalog: Catalog, incident_id: int) -> tuple[float, int]:
    """Seconds to build the report and render it in every format; and the HTML's length."""
    started = time.perf_counter()
    with store.unit_of_work() as uow:
        report = build_report(uow, catalog=catalog, incident_id=incident_id, now=START)
    html = render(report, ReportFormat.HTML)
    render(report, ReportFormat.MD)
    render(report, ReportFormat.JSON)
    return time.perf_counter() - started, len(html)


def main() -> int:
    """Seed, measure, print the figure against the ceiling; 1 when over."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    catalog = load_catalog(REPO / "examples" / "catalog.yaml")
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = create_store_engine(url)
        migrate.upgrade(engine)
        store = Store(engine)
        seeding = time.perf_counter()
        incident_id = seed_incident(store, catalog=catalog, alerts=args.alerts, hours=args.hours)
        print(
            f"seeded {args.alerts:,} alerts over {args.hours:g} h in "
            f"{time.perf_counter() - seeding:.1f} s"
        )
        # the first run compiles the templates: it is the one a fresh process pays
        seconds, size = measure(store, catalog=catalog, incident_id=incident_id)
        warm, _ = measure(store, catalog=catalog, incident_id=incident_id)
        engine.dispose()
    ratio = seconds / CEILING_SECONDS
    print(
        f"report of a {args.hours:g}-hour incident with {args.alerts:,} alerts: "
        f"{seconds:.3f} s (ceiling {CEILING_SECONDS:.1f} s, ratio {ratio:.2f}); "
        f"again {warm:.3f} s; HTML {size:,} bytes"
    )
    return 0 if seconds <= CEILING_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
