"""Generated history, backfilled with promtool, served by a real Prometheus and the embedded API.

Both must answer the catalog's estimator queries with the same numbers, and
those numbers must agree with what the simulation counted.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_api_client import PrometheusConnect

from monitor.sim.generate import generate
from monitor.sim.query_server import serve_query_api, store_from_openmetrics
from monitor.sim.scenario import load_scenario

pytestmark = pytest.mark.slow

CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"
SCENARIO = f"""
name: e2e-card-outage
catalog: {CATALOG}
seed: 5
start: 2025-03-10T00:00:00Z
duration: 1d
customers: 4000
faults:
  - {{id: card-auth-down, component: card-auth, kind: down, at: 9h, duration: 40m}}
  - {{id: login-errors, component: idp, kind: error_ratio, error_ratio: 0.4,
      at: 14h, duration: 30m}}
"""
START = 1741564800  # 2025-03-10T00:00:00Z
FAULT_AT = START + 9 * 3600 + 10 * 60  # inside the card outage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sim")
    scenario_file = base / "scenario.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    generate(load_scenario(scenario_file), base / "out")
    return base / "out"


@pytest.fixture(scope="module")
def prometheus(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        pytest.skip("prometheus and promtool are not installed")
    data = tmp_path_factory.mktemp("tsdb")
    for om in sorted((world / "metrics").glob("*.om")):
        done = subprocess.run(
            ["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", str(om), str(data)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    config = data.parent / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n", encoding="utf-8")
    port = _free_port()
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("Prometheus did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def embedded(world: Path) -> Iterator[str]:
    server = serve_query_api(store_from_openmetrics(sorted((world / "metrics").glob("*.om"))))
    try:
        yield server.url
    finally:
        server.close()


def _catalog_queries() -> list[str]:
    from monitor.catalog import load_catalog

    catalog = load_catalog(CATALOG)
    return sorted(
        {
            q
            for tp in catalog.touchpoints.values()
            for est in tp.estimators
            if est.method == "prometheus_traffic"
            for q in est.queries.values()
        }
    )


def _numbers(result: list[dict[str, object]]) -> dict[str, float]:
    return {str(sorted(r["metric"].items())): float(r["value"][1]) for r in result}  # type: ignore[attr-defined,index]


def test_promtool_blocks_are_served_and_match_the_embedded_api(
    prometheus: str, embedded: str
) -> None:
    real = PrometheusConnect(url=prometheus, timeout=10)
    ours = PrometheusConnect(url=embedded, timeout=10)
    queries = [
        *_catalog_queries(),
        'sum by (outcome) (increase(touchpoint_requests_total{touchpoint="card-payments"}[1h]))',
        'up{job="card-auth"} == 0',
        'sum(touchpoint_requests_total) - sum(touchpoint_requests_total{outcome="success"})',
    ]
    for query in queries:
        want = _numbers(real.custom_query(query, params={"time": FAULT_AT}))
        got = _numbers(ours.custom_query(query, params={"time": FAULT_AT}))
        assert want.keys() == got.keys(), query
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (query, key)
    failures = _numbers(
        real.custom_query(
            'sum(rate(touchpoint_requests_total{touchpoint="card-payments",outcome!="success"}[5m]))',
            params={"time": FAULT_AT},
        )
    )
    assert next(iter(failures.values())) > 0


def test_range_queries_agree(prometheus: str, embedded: str) -> None:
    query = 'sum(rate(touchpoint_requests_total{touchpoint="mobile-login",outcome!="success"}[5m]))'
    kwargs = {
        "start_time": _dt(FAULT_AT + 4 * 3600),
        "end_time": _dt(FAULT_AT + 6 * 3600),
        "step": "300",
    }
    real = PrometheusConnect(url=prometheus, timeout=10).custom_query_range(query, **kwargs)
    ours = PrometheusConnect(url=embedded, timeout=10).custom_query_range(query, **kwargs)
    assert len(real) == len(ours) == 1
    want = [(t, float(v)) for t, v in real[0]["values"]]
    got = [(t, float(v)) for t, v in ours[0]["values"]]
    assert [t for t, _ in want] == [t for t, _ in got]
    for (_, a), (_, b) in zip(want, got, strict=True):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9)
    assert max(v for _, v in want) > 0


def test_prometheus_totals_equal_simulated_counts(prometheus: str, world: Path) -> None:
    import json

    truth = json.loads((world / "truth.json").read_text())
    failed = sum(
        cell["failed_interactions"]
        for tps in truth["incidents"].values()
        for tp, cell in tps.items()
        if tp in ("card-payments", "mobile-login", "transfers", "flight-booking", "payslips")
    )
    end = START + 86400
    answer = PrometheusConnect(url=prometheus, timeout=10).custom_query(
        'sum(touchpoint_requests_total{outcome!="success",'
        'touchpoint=~"card-payments|mobile-login|transfers|flight-booking|payslips"})',
        params={"time": end},
    )
    assert float(answer[0]["value"][1]) == failed


def _dt(epoch: float) -> object:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC)
