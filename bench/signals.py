"""Customer signals: attribution quality, spike false-alarm rate and detection delay.

Run as ``python -m bench.signals [--weeks W] [--seed S]``. It prints

1. precision and recall of the catalog's attribution rules on the labelled set
   ``tests/fixtures/signals/labelled.jsonl``;
2. the simulator's quiet weeks: its customers complain only when something
   fails, so a scenario without faults has no complaint at all and the
   detector has nothing to mistake (reported, not counted as evidence);
3. the false-alarm rate on quiet weeks with a background of complaints like
   a contact centre's: Poisson arrivals with a daily and weekly rhythm,
   day-to-day swings (a Gamma multiplier, coefficient of variation 0.3,
   which the test's baseline does not model) and customers who write more
   than once. Spike episodes are counted the way the watcher counts them
   (evaluated every minute; an episode ends after a window without alarm),
   after ``baseline_weeks`` of warm-up. Target: at most 0.05 false episodes
   per touchpoint and week;
4. detection delay: the simulator's card-network outage complaints laid over
   the same background, minutes from the fault to the first alarm.

Exit status 1 when the false-alarm rate misses its target.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.catalog import load_catalog
from monitor.signals.attribution import Rules
from monitor.signals.spikes import Span, SpikeParams, baseline_spans, evaluate_window
from monitor.sim.generate import simulate
from monitor.sim.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "examples" / "catalog.yaml"
LABELLED = REPO / "tests" / "fixtures" / "signals" / "labelled.jsonl"
TARGET = 0.05
"""False spike episodes per touchpoint and week."""
RATES = (0.05, 0.2, 1.0, 3.0)
"""Mean complaints per touchpoint and hour in the background streams."""
STREAMS_PER_RATE = 10
START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
DAILY = (
    *(0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.4, 1.7, 1.7, 1.6),
    *(1.5, 1.5, 1.5, 1.4, 1.4, 1.4, 1.3, 1.2, 1.0, 0.8, 0.5, 0.3),
)
"""Relative complaint rate by hour of day (mean 0.96, close to 1)."""
WEEKLY = (1.1, 1.0, 1.0, 1.0, 1.1, 0.8, 0.6)
SCENARIO = """
name: bench-card-outage
catalog: {catalog}
seed: 47
start: 2025-03-03T10:00:00Z
duration: 5h
customers: 50000
faults:
  - {{id: card-network-down, component: payment-network-gateway, kind: down, at: 2h, duration: 1h}}
"""


@dataclass
class Stream:
    """One touchpoint's complaints: times (sorted) and sender keys."""

    times: list[datetime]
    keys: list[str]

    def keys_between(self, start: datetime, end: datetime) -> list[str]:
        low, high = bisect.bisect_left(self.times, start), bisect.bisect_left(self.times, end)
        return self.keys[low:high]


def attribution_quality() -> tuple[float, float, int]:
    """Precision and recall of the rules on the labelled set, and its size."""
    rules = Rules.of(load_catalog(CATALOG))
    right = wrong = missed = total = 0
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        total += 1
        got = rules.attribute(record["text"]).touchpoint
        if got is not None and got == record["touchpoint"]:
            right += 1
        elif got is not None:
            wrong += 1
        if record["touchpoint"] is not None and got != record["touchpoint"]:
            missed += 1
    return right / max(1, right + wrong), right / max(1, right + missed), total


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (inversion; means here are small)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, k, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


def background(rng: random.Random, *, rate: float, weeks: int, customers: int) -> Stream:
    """Quiet complaints of one touchpoint for ``weeks`` weeks."""
    times: list[datetime] = []
    keys: list[str] = []
    shape = 1 / 0.3**2
    for day in range(weeks * 7):
        swing = rng.gammavariate(shape, 1 / shape)
        for hour in range(24):
            mean = rate * DAILY[hour] * WEEKLY[day % 7] * swing
            start = START + timedelta(days=day, hours=hour)
            for _ in range(poisson(rng, mean)):
                customer = f"c{rng.randrange(customers)}"
                at = start + timedelta(seconds=rng.uniform(0, 3600))
                times.append(at)
                keys.append(customer)
                if rng.random() < 0.15:  # writes again a little later
                    times.append(at + timedelta(minutes=rng.uniform(2, 40)))
                    keys.append(customer)
    order = sorted(range(len(times)), key=times.__getitem__)
    return Stream([times[i] for i in order], [keys[i] for i in order])


def episodes(
    stream: Stream, *, params: SpikeParams, start: datetime, end: datetime, since: datetime
) -> list[datetime]:
    """When spike episodes start, evaluating every minute as the watcher does."""
    found: list[datetime] = []
    open_since: datetime | None = None
    last_alarm = start
    at = start
    while at < end:
        window = Span(at - params.window, at)
        keys = stream.keys_between(window.start, window.end)
        alarm = False
        if len(set(keys)) >= params.min_customers:
            spans = baseline_spans(window_end=at, params=params, since=since)
            baseline = [(s, stream.keys_between(s.start, s.end)) for s in spans]
            alarm = evaluate_window(
                touchpoint="t", window=window, window_keys=keys, baseline=baseline, params=params
            ).alarm
        if alarm and open_since is None:
            open_since = at
            found.append(at)
        if alarm:
            last_alarm = at
        elif open_since is not None and at - last_alarm >= params.window:
            open_since = None
        at += timedelta(minutes=1)
    return found


def outage_complaints(shift_to: datetime) -> tuple[datetime, list[tuple[datetime, str]]]:
    """The simulator's card-network outage complaints about card payments, moved in time."""
    rules = Rules.of(load_catalog(CATALOG))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "scenario.yaml"
        path.write_text(SCENARIO.format(catalog=CATALOG))
        scenario = load_scenario(path)
        result = simulate(scenario)
    fault_at = scenario.start + scenario.spec.faults[0].at
    shift = shift_to - fault_at
    found = [
        (datetime.fromisoformat(at).replace(tzinfo=UTC) + shift, customer)
        for customer, at, _channel, text in result.rows.complaints
        if rules.attribute(text).touchpoint == "card-payments"
    ]
    return shift_to, found


def detection_delays(
    rng: random.Random, params: SpikeParams, *, weeks: int
) -> list[tuple[float, float | None]]:
    """Minutes from the fault to the first alarm, for each background rate."""
    fault = START + timedelta(weeks=weeks - 1, days=2, hours=14)  # a Wednesday afternoon
    fault, complaints = outage_complaints(fault)
    delays: list[tuple[float, float | None]] = []
    for rate in RATES:
        quiet = background(rng, rate=rate, weeks=weeks, customers=50_000)
        merged = sorted(
            [*zip(quiet.times, quiet.keys, strict=True), *((t, f"o{k}") for t, k in complaints)]
        )
        stream = Stream([t for t, _ in merged], [k for _, k in merged])
        starts = episodes(
            stream,
            params=params,
            start=fault - timedelta(minutes=5),
            end=fault + timedelta(hours=2),
            since=START,
        )
        after = [s for s in starts if s >= fault]
        delay = (after[0] - fault).total_seconds() / 60 if after else None
        delays.append((rate, delay))
    return delays


def main(argv: list[str] | None = None) -> int:
    """Print attribution quality, the false-alarm rate against its target, detection delays."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=12, help="Weeks per stream, warm-up included.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    params = SpikeParams()
    rng = random.Random(args.seed)

    precision, recall, size = attribution_quality()
    print(
        f"attribution rules on {size} labelled signals: "
        f"precision {precision:.2f}, recall {recall:.2f}"
    )

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "quiet.yaml"
        path.write_text(SCENARIO.format(catalog=CATALOG).split("faults:")[0] + "faults: []\n")
        quiet_sim = simulate(load_scenario(path))
    print(
        f"simulator, 5 quiet hours of 50000 customers: {len(quiet_sim.rows.complaints)} complaints "
        "(its customers complain only about failures; no background to test on)"
    )

    warmup = timedelta(weeks=params.baseline_weeks)
    measured = args.weeks - params.baseline_weeks
    total_false = 0
    for rate in RATES:
        false = 0
        for _ in range(STREAMS_PER_RATE):
            stream = background(rng, rate=rate, weeks=args.weeks, customers=50_000)
            false += len(
                episodes(
                    stream,
                    params=params,
                    start=START + warmup,
                    end=START + timedelta(weeks=args.weeks),
                    since=START,
                )
            )
        total_false += false
        per = false / (STREAMS_PER_RATE * measured)
        print(
            f"quiet background {rate:>4} complaints/h: {false} false spikes in "
            f"{STREAMS_PER_RATE * measured} touchpoint-weeks ({per:.3f} per touchpoint-week)"
        )
    overall = total_false / (len(RATES) * STREAMS_PER_RATE * measured)
    verdict = "meets" if overall <= TARGET else "MISSES"
    print(
        f"false-alarm rate: {overall:.3f} spikes per touchpoint-week "
        f"(target <= {TARGET}; {verdict} it) with alpha={params.alpha}, "
        f"window={int(params.window.total_seconds() // 60)} min, "
        f"min_customers={params.min_customers}"
    )
    for rate, delay in detection_delays(rng, params, weeks=params.baseline_weeks + 1):
        shown = f"{delay:.0f} min" if delay is not None else "not detected"
        print(f"card-network outage over a {rate} complaints/h background: detected after {shown}")
    return 0 if overall <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
