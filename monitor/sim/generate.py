"""Simulate a scenario's whole history and write what the company and the truth hold.

``generate`` writes to ``out_dir``:

- ``metrics/NNNN.om``: OpenMetrics text, one file a day, for
  ``promtool tsdb create-blocks-from openmetrics FILE DIR``
- ``opdb.sqlite``: the company's operational database (``monitor.sim.opdb``)
- ``truth.json``: the ground truth (``monitor.sim.truth``), for tests and reports only
- ``complaints.jsonl``: the complaints the contact centre logged, one JSON object a line
- ``surveys.jsonl``: the NPS and CSAT answers (``monitor.sim.surveys``), in the same
  form, each naming the touchpoint the survey was about
- ``manifest.json``: scenario, seed, time range, row and series counts
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.sim.airline import BookingRecorder, CheckinRecorder, run_checkins
from monitor.sim.engine import (
    Clock,
    Recorder,
    SimContext,
    TouchpointRun,
    TransactionRecorder,
    run_interactive,
)
from monitor.sim.faults import FaultPlan
from monitor.sim.metrics import Metrics
from monitor.sim.opdb import OpRows, write_opdb
from monitor.sim.openmetrics import families, write_openmetrics
from monitor.sim.overdraft import run_overdraft
from monitor.sim.payroll import run_payroll
from monitor.sim.profiles import PROFILES, SCHEDULED_PROFILES, default_profile
from monitor.sim.scenario import Scenario
from monitor.sim.topology import regions_of
from monitor.sim.truth import Truth, write_truth
from monitor.sim.world import make_customers, make_departures, make_employers

_SPECIAL = {
    "check-in",
    "boarding-passes",
    "overdraft-notifications",
    "payroll-monthly-run",
    "payroll-weekly-run",
}


@dataclass
class SimResult:
    """A simulated history in memory: what the services counted, recorded and suffered."""

    scenario: Scenario
    plan: FaultPlan
    metrics: Metrics
    rows: OpRows
    truth: dict[str, Any]


def simulate(scenario: Scenario) -> SimResult:
    """Play the whole scenario; deterministic for a given scenario (seed included)."""
    spec, catalog = scenario.spec, scenario.catalog
    plan = FaultPlan.from_specs(spec.faults, catalog)
    customers = make_customers(spec.customers, seed=spec.seed, regions=regions_of(catalog))
    minutes = scenario.minutes
    ctx = SimContext(
        seed=spec.seed,
        catalog=catalog,
        plan=plan,
        customers=customers,
        metrics=Metrics(minutes),
        rows=OpRows(),
        truth=Truth(),
        clock=Clock(scenario.start, minutes),
        end_s=minutes * 60.0,
    )
    ctx.rows.customers = [
        (customers.ids[i], customers.segment[i], customers.region[i], customers.channel[i])
        for i in range(len(customers))
    ]
    bookings = _airline_prehistory(ctx, scenario)
    for tp_id, tp in catalog.touchpoints.items():
        if tp_id in _SPECIAL or tp.scheduled:
            continue
        profile = PROFILES.get(tp_id) or default_profile(tp_id, tp.segments)
        recorder: Recorder | None = None
        if tp_id == "card-payments":
            recorder = TransactionRecorder(ctx, kind="card")
        elif tp_id == "transfers":
            recorder = TransactionRecorder(ctx, kind="transfer", top_up_share=0.25)
        elif tp_id == "flight-booking" and bookings is not None:
            recorder = bookings
        run_interactive(ctx, TouchpointRun.build(ctx, profile, recorder), start=scenario.start)
    if bookings is not None and "check-in" in catalog.touchpoints:
        checkin = TouchpointRun.build(ctx, SCHEDULED_PROFILES["check-in"], CheckinRecorder(ctx))
        boarding = (
            TouchpointRun.build(ctx, SCHEDULED_PROFILES["boarding-passes"], None)
            if "boarding-passes" in catalog.touchpoints
            else None
        )
        run_checkins(ctx, bookings=bookings, checkin=checkin, boarding=boarding)
    run_payroll(ctx, make_employers(customers, seed=spec.seed))
    run_overdraft(ctx)
    ctx.rows.transactions.sort(key=lambda r: r[3])
    ctx.rows.complaints.sort(key=lambda r: (r[1], r[0]))
    ctx.rows.surveys.sort(key=lambda r: (r[1], r[0], r[2]))
    truth = ctx.truth.as_json(
        scenario=spec.name, seed=spec.seed, start=scenario.start, end=scenario.end, plan=plan
    )
    return SimResult(scenario=scenario, plan=plan, metrics=ctx.metrics, rows=ctx.rows, truth=truth)


def _airline_prehistory(ctx: SimContext, scenario: Scenario) -> BookingRecorder | None:
    """Departures and the bookings made before the history, so check-in has passengers."""
    if "flight-booking" not in ctx.catalog.touchpoints:
        return None
    days = -(-scenario.minutes // 1440)
    departures = make_departures(
        seed=scenario.spec.seed, start=scenario.start, first_day=-1, last_day=days + 46
    )
    ctx.rows.departures = [
        (d.flight_number, d.origin, d.destination, ctx.clock.db(d.departs_s)) for d in departures
    ]
    bookings = BookingRecorder(ctx, departures)
    profile = PROFILES["flight-booking"]
    bookings.prehistory(TouchpointRun.build(ctx, profile, bookings))
    return bookings


def generate(scenario: Scenario, out_dir: Path) -> dict[str, Any]:
    """Simulate and write metrics, operational DB, truth, complaints and surveys; the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = simulate(scenario)
    fams = families(result.metrics, catalog=scenario.catalog, plan=result.plan)
    files = write_openmetrics(
        out_dir / "metrics",
        fams,
        epoch0=int(scenario.start.timestamp()),
        minutes=scenario.minutes,
    )
    write_opdb(out_dir / "opdb.sqlite", result.rows)
    write_truth(out_dir / "truth.json", result.truth)
    _write_complaints(out_dir / "complaints.jsonl", result.rows)
    _write_surveys(out_dir / "surveys.jsonl", result.rows)
    manifest = {
        "scenario": scenario.spec.name,
        "seed": scenario.spec.seed,
        "customers": scenario.spec.customers,
        "start": scenario.start.isoformat(),
        "end": scenario.end.isoformat(),
        "minutes": scenario.minutes,
        "series": sum(len(f.series) for f in fams),
        "metrics_files": [str(p.relative_to(out_dir)) for p in files],
        "metrics_bytes": sum(p.stat().st_size for p in files),
        "rows": {t.name: len(r) for t, r in result.rows.tables()},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def _write_complaints(path: Path, rows: OpRows) -> None:
    with path.open("w", encoding="utf-8") as out:
        for customer, at, channel, text in rows.complaints:
            record = {"customer": customer, "time": at, "channel": channel, "text": text}
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def _write_surveys(path: Path, rows: OpRows) -> None:
    """Survey answers as ``monitor signals import`` reads them (``source: survey``)."""
    with path.open("w", encoding="utf-8") as out:
        for customer, at, touchpoint, kind, score, channel in rows.surveys:
            record = {
                "source": "survey",
                "customer": customer,
                "time": at,
                "channel": channel,
                "touchpoint": touchpoint,
                "score": score,
                "score_kind": kind,
            }
            out.write(json.dumps(record, sort_keys=True) + "\n")
