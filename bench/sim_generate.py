"""Time to generate four weeks of history for 50,000 customers, against a one-minute ceiling.

Run as ``python -m bench.sim_generate [--keep DIR]``. Prints the elapsed time,
the ceiling and their ratio, the output sizes, and exits non-zero when the
ceiling is exceeded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import RESULTS, machine
from monitor.sim.generate import generate
from monitor.sim.scenario import load_scenario

CEILING_S = 60.0
SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "scenarios" / "bank-overdraft.yaml"


def main(argv: list[str] | None = None) -> int:
    """Generate once, print the figures, return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="write here and keep the output")
    args = parser.parse_args(argv)
    scenario = load_scenario(SCENARIO).with_changes(
        customers=args.customers, duration=timedelta(weeks=args.weeks)
    )
    out = args.keep or Path(tempfile.mkdtemp(prefix="sim-bench-"))
    try:
        started = time.perf_counter()
        manifest = generate(scenario, out)
        elapsed = time.perf_counter() - started
        db_bytes = (out / "opdb.sqlite").stat().st_size
        print(
            f"sim generate: {args.weeks} weeks x {args.customers} customers in {elapsed:.1f} s "
            f"(ceiling {CEILING_S:.0f} s, ratio {elapsed / CEILING_S:.2f})"
        )
        print(
            f"  metrics: {manifest['series']} series, {len(manifest['metrics_files'])} files, "
            f"{manifest['metrics_bytes'] / 1e6:.0f} MB; opdb: {db_bytes / 1e6:.0f} MB; "
            f"transactions: {manifest['rows']['transactions']}"
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": "sim_generate",
            "machine": machine(),
            "customers": args.customers,
            "weeks": args.weeks,
            "rows": [
                {
                    "figure": f"{args.weeks} weeks x {args.customers} customers, seconds",
                    "value": round(elapsed, 2),
                    "ceiling": CEILING_S,
                    "ratio": round(CEILING_S / elapsed, 2),
                }
            ],
            "series": manifest["series"],
            "transactions": manifest["rows"]["transactions"],
        }
        (RESULTS / "sim_generate.json").write_text(json.dumps(payload, indent=2) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0 if elapsed <= CEILING_S else 1


if __name__ == "__main__":
    sys.exit(main())
