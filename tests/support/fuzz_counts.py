"""How many examples each fuzz test tried, printed at the end of every pytest run.

A fuzz test calls ``tried()`` once per example (with extra tallies such as
``server_errors=1`` when it has them); the counts go to the test that is
running. Load it as a plugin (``pytest_plugins``) so its hooks run: the
terminal summary then shows a "fuzz" table, so a run that tried nothing shows
it too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest

COUNTS: defaultdict[str, Counter[str]] = defaultdict(Counter)
"""Tallies per test id; ``examples`` is always there."""
_running: list[str] = []


def tried(**also: int) -> None:
    """Count one example for the running test, plus any extra tallies given."""
    counts = COUNTS[_running[-1] if _running else "(outside a test)"]
    counts["examples"] += 1
    counts.update(also)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Note which test is running, so ``tried()`` knows whom to count for."""
    _running.append(item.nodeid)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """Print one line per fuzz test: examples tried and any other tallies.

    Wrapped around the reporter's own summary, so the table comes last, after
    the short test summary, where a ``| tail`` of the output still shows it.
    """
    yield
    if not COUNTS:
        return
    terminalreporter.section("fuzz: examples tried")
    width = max(len(test) for test in COUNTS)
    for test, counts in sorted(COUNTS.items()):
        extra = "".join(f", {key} {n}" for key, n in sorted(counts.items()) if key != "examples")
        terminalreporter.write_line(f"{test:<{width}}  {counts['examples']:>6} examples{extra}")
