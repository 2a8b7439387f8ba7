"""How a person behaves when something does not work.

They retry a few times with growing pauses, then either switch channel
(app to web), come back later, or give up; some of them complain. The
numbers are deliberately plain: what matters for the monitor is that failed
interactions, retries and abandonment all exist and are known exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.sim.faults import SUCCESS, Verdict

COMPLAINT_CHANNELS = ("phone", "email", "chat", "social")
_COMPLAINT_WEIGHTS = (0.35, 0.3, 0.2, 0.15)
_TEMPLATES = (
    "{kw}. I tried {n} times on the {ch}, this is not acceptable.",
    "Hello, {kw} since this morning. What is going on?",
    "{kw} again!! Tried {n} times.",
    "Bonjour, {kw}. J'ai essayé {n} fois.",
    "Please call me back: {kw}, and nobody tells me why.",
)


@dataclass(frozen=True)
class Attempt:
    """One request of an interaction."""

    t: float
    channel: str
    verdict: Verdict


@dataclass
class Interaction:
    """Everything one customer did to get one thing done."""

    attempts: list[Attempt] = field(default_factory=list)
    succeeded: bool = False
    gave_up: bool = False
    switched: bool = False
    came_back: bool = False
    complaint: tuple[float, str] | None = None
    """(time, contact channel) of the complaint, if the customer complained."""

    @property
    def failures(self) -> list[Attempt]:
        """The attempts that did not succeed."""
        return [a for a in self.attempts if a.verdict.outcome != SUCCESS]

    @property
    def faults(self) -> list[str]:
        """Faults that failed at least one attempt, in order of first appearance."""
        seen: dict[str, None] = {}
        for a in self.attempts:
            if a.verdict.fault is not None:
                seen.setdefault(a.verdict.fault, None)
        return list(seen)


def interact(
    rng: random.Random,
    *,
    try_once: Callable[[float, str], Verdict],
    t0: float,
    channel: str,
    channels: Sequence[str],
    patience: int,
    deadline: float,
    demanding: bool = False,
) -> Interaction:
    """Play one customer's interaction from ``t0`` until success, abandonment or ``deadline``."""
    result = Interaction()
    t, current, retries_left, retries = t0, channel, patience, 0
    while t < deadline:
        verdict = try_once(t, current)
        result.attempts.append(Attempt(t, current, verdict))
        if verdict.outcome == SUCCESS:
            result.succeeded = True
            break
        t += verdict.latency_s
        if retries_left > 0:
            retries_left -= 1
            retries += 1
            t += 8.0 * 2 ** (retries - 1) * rng.uniform(0.6, 1.6)
            continue
        others = [c for c in channels if c != current]
        if others and not result.switched and rng.random() < 0.4:
            result.switched = True
            current = rng.choice(others)
            t += rng.uniform(60.0, 300.0)
            retries_left, retries = 1, 0
            continue
        if not result.came_back and rng.random() < 0.45:
            result.came_back = True
            t += rng.uniform(1800.0, 4 * 3600.0)
            retries_left, retries = 1, 0
            continue
        result.gave_up = True
        break
    if result.failures:
        _maybe_complain(rng, result, t=t, demanding=demanding)
    return result


def _maybe_complain(rng: random.Random, result: Interaction, *, t: float, demanding: bool) -> None:
    if result.succeeded:
        chance = 0.03
    else:
        chance = 0.12 + (0.15 if demanding else 0.0) + (0.1 if result.came_back else 0.0)
    if rng.random() < chance:
        contact = rng.choices(COMPLAINT_CHANNELS, weights=_COMPLAINT_WEIGHTS)[0]
        result.complaint = (t + rng.uniform(60.0, 1800.0), contact)


def complaint_text(
    rng: random.Random, *, keywords: Sequence[str], fallback: str, tries: int, channel: str
) -> str:
    """What a complaining customer writes, using the words customers use for the touchpoint."""
    keyword = rng.choice(keywords) if keywords else fallback
    template = rng.choice(_TEMPLATES)
    text = template.format(kw=keyword, n=tries, ch="app" if channel == "app" else "website")
    return text[0].upper() + text[1:]
