"""The ground truth, the operational database and the metrics tell the same story."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from monitor.sim.scenario import Scenario

INTERACTIVE = ("card-payments", "transfers", "mobile-login", "payslips", "flight-booking",
               "check-in", "boarding-passes", "overdraft-notifications")  # fmt: skip


@pytest.fixture(scope="module")
def truth(small_world: tuple[Scenario, Path]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((small_world[1] / "truth.json").read_text())
    return data


@pytest.fixture(scope="module")
def db(small_world: tuple[Scenario, Path]) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(small_world[1] / "opdb.sqlite")
    yield conn
    conn.close()


def _cells(truth: dict[str, Any], touchpoint: str) -> list[dict[str, Any]]:
    return [tps[touchpoint] for tps in truth["incidents"].values() if touchpoint in tps]


def _affected(truth: dict[str, Any], touchpoint: str, fault: str | None = None) -> set[str]:
    found: set[str] = set()
    for fid, tps in truth["incidents"].items():
        if touchpoint in tps and fault in (None, fid):
            found.update(tps[touchpoint]["affected_customers"])
    return found


def _final_counters(world: Path) -> dict[tuple[str, str, str], int]:
    """Last value of every touchpoint_requests_total series over all files."""
    pattern = re.compile(
        r'^touchpoint_requests_total\{channel="([^"]*)",outcome="([^"]*)",touchpoint="([^"]*)"\}'
        r" (\d+) \d+$"
    )
    last: dict[tuple[str, str, str], int] = {}
    for path in sorted((world / "metrics").glob("*.om")):
        for line in path.read_text().splitlines():
            match = pattern.match(line)
            if match:
                last[(match.group(3), match.group(1), match.group(2))] = int(match.group(4))
    return last


def test_every_failed_transaction_belongs_to_an_affected_customer(
    truth: dict[str, Any], db: sqlite3.Connection
) -> None:
    for kind, touchpoint in (("card", "card-payments"), ("transfer", "transfers")):
        failed = {
            row[0]
            for row in db.execute(
                "SELECT customer_id FROM transactions WHERE kind = ? AND status = 'failed'", (kind,)
            )
        }
        assert failed, kind
        assert failed <= _affected(truth, touchpoint)


def test_failures_below_the_recorder_are_all_recorded(
    truth: dict[str, Any], db: sqlite3.Connection
) -> None:
    # The card network sits below card authorisation: every declined attempt is written down.
    affected = _affected(truth, "card-payments", "card-network-down")
    recorded = {
        row[0]
        for row in db.execute(
            "SELECT customer_id FROM transactions WHERE kind = 'card' AND status = 'failed' "
            "AND created_at >= '2025-03-24 12:00' AND created_at < '2025-03-24 13:00'"
        )
    }
    assert affected
    assert recorded == affected


def test_a_dead_recorder_writes_nothing(truth: dict[str, Any], db: sqlite3.Connection) -> None:
    assert _affected(truth, "card-payments", "card-auth-down")
    (rows,) = db.execute(
        "SELECT COUNT(*) FROM transactions WHERE kind = 'card' "
        "AND created_at >= '2025-03-24 17:00:00' AND created_at < '2025-03-24 17:30:00'"
    ).fetchone()
    assert rows == 0


def test_metric_failures_equal_truth_failed_interactions(
    small_world: tuple[Scenario, Path], truth: dict[str, Any]
) -> None:
    counters = _final_counters(small_world[1])
    for touchpoint in INTERACTIVE:
        metric = sum(v for (tp, _, outcome), v in counters.items()
                     if tp == touchpoint and outcome != "success")  # fmt: skip
        truth_failed = sum(c["failed_interactions"] for c in _cells(truth, touchpoint))
        assert metric == truth_failed, touchpoint


def test_metric_successes_equal_database_rows(
    small_world: tuple[Scenario, Path], db: sqlite3.Connection
) -> None:
    counters = _final_counters(small_world[1])
    for kind, touchpoint in (("card", "card-payments"), ("transfer", "transfers")):
        metric = sum(v for (tp, _, outcome), v in counters.items()
                     if tp == touchpoint and outcome == "success")  # fmt: skip
        (rows,) = db.execute(
            "SELECT COUNT(*) FROM transactions WHERE kind = ? AND status = 'completed'", (kind,)
        ).fetchone()
        assert metric == rows, touchpoint
    (checkins,) = db.execute(
        "SELECT COUNT(*) FROM checkin_events WHERE status = 'checked_in'"
    ).fetchone()
    metric = sum(v for (tp, _, o), v in counters.items() if tp == "check-in" and o == "success")
    assert metric == checkins


def test_checkin_failures_and_missed_flights_match(
    truth: dict[str, Any], db: sqlite3.Connection
) -> None:
    failed = {r[0] for r in db.execute(
        "SELECT passenger_ref FROM checkin_events WHERE status = 'failed'")}  # fmt: skip
    assert failed <= _affected(truth, "check-in")
    missed = set()
    for cell in _cells(truth, "check-in"):
        missed.update(cell["consequences"].get("missed_flight", []))
    assert missed, "the departure-control outage should make people miss flights"
    not_boarded = {r[0] for r in db.execute(
        "SELECT passenger_ref FROM bookings WHERE boarded = 0")}  # fmt: skip
    assert missed <= not_boarded


def test_unpaid_employees_are_the_truth_of_the_payroll_fault(
    truth: dict[str, Any], db: sqlite3.Connection
) -> None:
    unpaid = {
        r[0]
        for r in db.execute(
            "SELECT employee_ref FROM payrun_items WHERE status IN ('paid_late', 'unpaid')"
        )
    }
    expected = _affected(truth, "payroll-monthly-run") | _affected(truth, "payroll-weekly-run")
    assert unpaid
    assert unpaid == expected
    (failures,) = db.execute(
        "SELECT COUNT(*) FROM batch_runs WHERE status = 'failed' AND job = 'bank-file-exporter'"
    ).fetchone()
    assert failures > 0


def test_catalog_exposure_sql_runs_against_the_database(small_world: tuple[Scenario, Path]) -> None:
    scenario, world = small_world
    engine = create_engine(f"sqlite:///{world / 'opdb.sqlite'}")
    window = {"start": datetime(2025, 3, 24), "end": datetime(2025, 3, 27)}
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for tp in scenario.catalog.touchpoints.values():
            for est in tp.estimators:
                if est.method == "scheduled_exposure":
                    counts[tp.id] = conn.execute(text(est.queries["exposed"]), window).scalar_one()
    engine.dispose()
    assert counts["payroll-monthly-run"] > 0
    assert counts["check-in"] > 0
    assert counts["payroll-weekly-run"] == 0, "no weekly cut-off falls in these two days"


def test_people_behave_like_people(truth: dict[str, Any]) -> None:
    cells = [c for tps in truth["incidents"].values() for c in tps.values()]
    for key in ("succeeded", "gave_up", "switched_channel", "came_back", "complained"):
        assert any(c[key] for c in cells), key
    partition = _cells(truth, "card-payments")
    assert all(set(c["affected_customers"]) >= set(c["gave_up"]) for c in partition)


def test_complaints_name_the_touchpoint_in_customers_words(
    small_world: tuple[Scenario, Path], truth: dict[str, Any]
) -> None:
    scenario, world = small_world
    words = [w.lower() for tp in scenario.catalog.touchpoints.values()
             for ws in tp.keywords.values() for w in ws]  # fmt: skip
    complained = {c for tps in truth["incidents"].values()
                  for cell in tps.values() for c in cell["complained"]}  # fmt: skip
    lines = (world / "complaints.jsonl").read_text().splitlines()
    assert lines
    for line in lines:
        record = json.loads(line)
        assert record["customer"] in complained
        assert any(w in record["text"].lower() for w in words), record["text"]


def test_region_cut_only_hurts_customers_of_that_region(
    truth: dict[str, Any], db: sqlite3.Connection
) -> None:
    region = dict(db.execute("SELECT id, region FROM customers").fetchall())
    hurt = _affected(truth, "mobile-login", "central-cut")
    assert hurt
    assert {region[c] for c in hurt} == {"eu-central"}
