"""Survey answers: NPS and CSAT scores from some of the customers who interacted, hours later.

The company follows a sample of interactions with a survey (``ASKED`` of them,
CSAT about the interaction or, for ``NPS_SHARE`` of them, the NPS question),
sent when the interaction is over and answered hours later (log-normal,
median ``DELAY_MEDIAN_S``), by ``RESPONSE`` of the customers asked. A customer
an outage hurt answers more often (``RESPONSE_HURT``; after complaining,
``RESPONSE_ANGRY``) and scores lower: the interaction failed and then worked,
or it never worked, or the customer complained. Answers that would come after
the end of the history are not given yet.

What matters for the monitor: a realistic trickle of scores on quiet days
(detractors included, about one NPS answer in seven, so a low score alone
proves nothing), lower scores from the customers an incident hurt, and the
customer's reference on each answer so the monitor can tie the answer to the
incident they complained about. Each touchpoint draws from a generator of its
own, so surveys never shift the rest of the simulation; interactions on the
fast path are sampled by geometric skips, a few operations per survey rather
than a draw per interaction. Check-ins and boarding passes that went well are
counted one by one by the airline's schedule and are not surveyed.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from monitor.sim.behaviour import Interaction
from monitor.sim.opdb import OpRows

ASKED = 0.04
"""Share of interactions followed by a survey invitation."""
RESPONSE = 0.15
RESPONSE_HURT = 0.3
RESPONSE_ANGRY = 0.5
NPS_SHARE = 0.35
DELAY_MEDIAN_S = 3 * 3600.0
DELAY_SIGMA = 0.9
MIN_DELAY_S = 15 * 60.0
MAX_DELAY_S = 3 * 86400.0
SURVEY_CHANNELS = ("email", "app")
_CHANNEL_WEIGHTS = (0.7, 0.3)

# Weights of each score, lowest first; about 14% of NPS detractors (0-6) when all went well.
_NPS = {
    "fine": (1.5, 0.8, 1, 1.2, 1.5, 3, 5, 12, 20, 25, 29),
    "hurt": (8, 5, 7, 8, 9, 12, 11, 12, 11, 9, 8),
    "angry": (20, 10, 12, 11, 10, 11, 8, 7, 5, 3, 3),
}
_CSAT = {"fine": (3, 4, 10, 35, 48), "hurt": (22, 25, 25, 18, 10), "angry": (50, 25, 13, 8, 4)}


@dataclass(frozen=True)
class SurveyAnswer:
    """One customer's answer, as the survey tool exports it."""

    customer: int
    t: float
    touchpoint: str
    kind: str
    """``nps`` or ``csat``."""
    score: int
    channel: str


class Surveys:
    """The survey sampling and answers of one touchpoint."""

    def __init__(
        self,
        rng: random.Random,
        *,
        touchpoint: str,
        rows: OpRows,
        ids: Sequence[str],
        db: Callable[[float], str],
        end_s: float,
    ) -> None:
        self.rng = rng
        self.touchpoint = touchpoint
        self.rows = rows
        self.ids = ids
        self.db = db
        self.end_s = end_s
        self._log_keep = math.log1p(-ASKED * RESPONSE)
        self.skip = self._gap()
        """Healthy interactions still to go before the next one that is answered."""
        self._cum = {
            (kind, mood): list(accumulate(w))
            for kind, table in (("nps", _NPS), ("csat", _CSAT))
            for mood, w in table.items()
        }

    def healthy_batch(self, batch: Sequence[int], *, base_s: float) -> None:
        """Answers about one minute's interactions that all went well (``base_s``: its start)."""
        n = len(batch)
        if self.skip >= n:
            self.skip -= n
            return
        i = self.skip
        while i < n:
            self._answer(batch[i], t=base_s + self.rng.random() * 60.0, mood="fine")
            i += 1 + self._gap()
        self.skip = i - n

    def after(self, customer: int, interaction: Interaction) -> SurveyAnswer | None:
        """The answer (if any) to a survey about an interaction played request by request."""
        if not interaction.attempts:
            return None
        rng = self.rng
        mood = _mood(interaction)
        response = {"fine": RESPONSE, "hurt": RESPONSE_HURT, "angry": RESPONSE_ANGRY}[mood]
        if rng.random() >= ASKED or rng.random() >= response:
            return None
        end = interaction.attempts[-1].t + interaction.attempts[-1].verdict.latency_s
        if interaction.complaint is not None:
            end = max(end, interaction.complaint[0])
        return self._answer(customer, t=end, mood=mood)

    def _answer(self, customer: int, *, t: float, mood: str) -> SurveyAnswer | None:
        rng = self.rng
        delay = DELAY_MEDIAN_S * math.exp(rng.gauss(0.0, DELAY_SIGMA))
        at = t + min(MAX_DELAY_S, max(MIN_DELAY_S, delay))
        kind = "nps" if rng.random() < NPS_SHARE else "csat"
        cum = self._cum[(kind, mood)]
        index = min(len(cum) - 1, bisect_right(cum, rng.random() * cum[-1]))
        score = index if kind == "nps" else index + 1
        channel = rng.choices(SURVEY_CHANNELS, weights=_CHANNEL_WEIGHTS)[0]
        if at >= self.end_s:
            return None
        answer = SurveyAnswer(customer, at, self.touchpoint, kind, score, channel)
        self.rows.surveys.append(
            (self.ids[customer], self.db(at), self.touchpoint, kind, score, channel)
        )
        return answer

    def _gap(self) -> int:
        """Healthy interactions skipped before the next answered one (geometric)."""
        return int(math.log(1.0 - self.rng.random()) / self._log_keep)


def _mood(interaction: Interaction) -> str:
    if not interaction.failures:
        return "fine"
    if interaction.complaint is not None or not interaction.succeeded:
        return "angry"
    return "hurt"


def is_low(kind: str, score: int) -> bool:
    """A detractor (NPS 0-6) or a dissatisfied customer (CSAT 1-2), as the monitor reads it."""
    return score <= 6 if kind == "nps" else score <= 2
