"""The embedded query API: PromQL semantics of Prometheus 2.x, Prometheus's JSON, its client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from prometheus_api_client import PrometheusConnect

from monitor.sim.promql import PromQLError, Scalar, SeriesStore, StoredSeries, evaluate
from monitor.sim.query_server import format_value, serve_query_api

T0 = 1_700_000_000.0


def _series(name: str, values: list[float], **labels: str) -> StoredSeries:
    pairs = tuple(sorted({"__name__": name, **labels}.items()))
    return StoredSeries(pairs, [T0 + 60 * i for i in range(len(values))], values)


@pytest.fixture
def store() -> SeriesStore:
    steady = [float(10 * i) for i in range(30)]
    return SeriesStore(
        [
            _series("req_total", steady, tp="a", outcome="success"),
            _series("req_total", [float(i) for i in range(30)], tp="a", outcome="error"),
            _series("req_total", steady, tp="b", outcome="success"),
            _series("up", [1.0] * 10 + [0.0] * 20, job="x"),
        ]
    )


def test_rate_of_a_steady_counter_is_its_slope(store: SeriesStore) -> None:
    value = evaluate('sum(rate(req_total{tp="a",outcome!="success"}[5m]))', store, T0 + 1200)
    assert value == [((), pytest.approx(1 / 60))]


def test_increase_extrapolates_to_the_window_like_prometheus(store: SeriesStore) -> None:
    # Six samples cover 300 s of a 300 s window: no extrapolation needed.
    (labels, value), *_ = evaluate('increase(req_total{tp="b"}[5m])', store, T0 + 1200)
    assert value == pytest.approx(50.0)
    assert ("__name__", "req_total") not in labels


def test_sum_by_and_regex_matchers(store: SeriesStore) -> None:
    value = evaluate('sum by (tp) (req_total{outcome=~"succ.*"})', store, T0 + 600)
    assert sorted(value) == [((("tp", "a"),), 100.0), ((("tp", "b"),), 100.0)]


def test_arithmetic_and_comparison_filters(store: SeriesStore) -> None:
    ratio = evaluate(
        'sum(rate(req_total{outcome="error"}[5m])) / sum(rate(req_total[5m]))', store, T0 + 1200
    )
    assert ratio == [((), pytest.approx(1 / 21))]
    assert evaluate("up == 0", store, T0 + 60) == []
    assert len(evaluate("up == 0", store, T0 + 900)) == 1  # type: ignore[arg-type]
    assert evaluate("2 * 3 + 1", store, T0) == Scalar(7.0)


def test_instant_selector_looks_back_five_minutes(store: SeriesStore) -> None:
    assert evaluate("up", store, T0 + 29 * 60 + 299) != []
    assert evaluate("up", store, T0 + 29 * 60 + 301) == []


def test_unsupported_queries_are_refused(store: SeriesStore) -> None:
    with pytest.raises(PromQLError):
        evaluate("histogram_quantile(0.9, x)", store, T0)
    with pytest.raises(PromQLError):
        evaluate("sum(rate(req_total[5m]", store, T0)


def test_values_print_like_go() -> None:
    assert format_value(3.0) == "3"
    assert format_value(0.25) == "0.25"
    assert format_value(float("nan")) == "NaN"
    assert format_value(1e-05) == "0.00001"


@pytest.fixture
def api(store: SeriesStore) -> Iterator[str]:
    server = serve_query_api(store)
    try:
        yield server.url
    finally:
        server.close()


def test_prometheus_client_reads_the_embedded_api(api: str) -> None:
    prom = PrometheusConnect(url=api, timeout=5)
    result = prom.custom_query('sum(rate(req_total{tp="a"}[5m]))', params={"time": T0 + 1200})
    assert result == [{"metric": {}, "value": [T0 + 1200, format_value(11 / 60)]}]
    matrix = prom.custom_query_range(
        "up",
        start_time=datetime.fromtimestamp(T0, tz=UTC),
        end_time=datetime.fromtimestamp(T0 + 1200, tz=UTC),
        step="600",
    )
    assert matrix[0]["metric"] == {"__name__": "up", "job": "x"}
    assert [v for _, v in matrix[0]["values"]] == ["1", "0", "0"]


def test_bad_queries_get_prometheus_errors(api: str) -> None:
    answer = requests.get(f"{api}/api/v1/query", params={"query": "sum("}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"
    assert answer.json()["errorType"] == "bad_data"
    assert requests.get(f"{api}/-/ready", timeout=5).status_code == 200
