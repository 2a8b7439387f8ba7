"""Capture real Alertmanager webhook payloads into tests/fixtures/alertmanager/.

Run from anywhere: ``python scripts/capture_alertmanager_payloads.py``. It
starts Debian's ``prometheus-alertmanager`` on a free loopback port with a
recording webhook receiver, posts the alerts of the scenario in
``tests/support/alertmanager_capture.py`` to ``/api/v2/alerts`` and writes every
delivery byte for byte, so the parser is tested on what Alertmanager really sends.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The capture code is shared with the end-to-end tests, which live under tests/.
sys.path.insert(0, str(REPO))

from tests.support.alertmanager_capture import capture_payloads  # noqa: E402
from tests.support.processes import ALERTMANAGER, program_version  # noqa: E402

DEFAULT_OUT = REPO / "tests" / "fixtures" / "alertmanager"


def main(argv: list[str] | None = None) -> int:
    """Capture the payloads and write one file per delivery; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="am-capture-") as workdir:
        payloads = capture_payloads(Path(workdir))
    for payload in payloads:
        target = out / f"{payload.name}.json"
        target.write_bytes(payload.body)
        print(
            f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: "
            f"{len(payload.body)} bytes from {payload.headers.get('User-Agent', '?')}"
        )
    print(program_version(ALERTMANAGER))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
