"""Which touchpoint a customer's words are about: transparent rules from the catalog.

Every touchpoint lists the phrases customers use about it, in English and
French (``keywords: {en: [...], fr: [...]}`` in the catalog). A phrase matches
when it appears in the text as whole words, ignoring case and accents
(``paiement refuse`` matches ``Paiement refusé``), the apostrophe of English
negations (``cant log in`` matches ``can't log in``; ``cannot`` and ``can
not`` read as ``can't``), French elisions (``l'application en panne`` holds
``application en panne``), hyphens and runs of spaces. ``découvert`` does not match ``découverte``.

When phrases of several touchpoints match, the longest phrase wins (``charged
but no booking`` says more than ``card declined``); a tie between touchpoints
leaves the signal unattributed rather than guessing. The matching rule is
recorded with the signal (``rule:check-in:fr:raté mon vol``), so anyone can
see why a complaint was counted where it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.catalog import Catalog

EXPLICIT = "explicit"
"""``attributed_by`` of a signal whose sender named the touchpoint."""

_APOSTROPHES = re.compile("['’‘`´ʼ]")
_NEGATION = re.compile("n['’‘`´ʼ]t\\b")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_/]+")
_CANNOT = re.compile(r"\b(?:cannot|can not)\b")


@dataclass(frozen=True)
class Rule:
    """One phrase of one touchpoint, in one language."""

    touchpoint: str
    language: str
    phrase: str
    folded: str
    pattern: re.Pattern[str]

    @property
    def label(self) -> str:
        """How the rule is recorded with a signal it attributed."""
        return f"rule:{self.touchpoint}:{self.language}:{self.phrase}"


@dataclass(frozen=True)
class Attribution:
    """The touchpoint a text was attributed to (None when no rule or a tie), and why."""

    touchpoint: str | None
    rule: str | None
    candidates: tuple[str, ...] = ()
    """Every touchpoint with a matching phrase, for ties and inspection."""


def fold(text: str) -> str:
    """Text as the rules compare it: no accents, no case, no apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    # English "can't" reads as "cant"; any other apostrophe separates words
    # (French elision: "l'application" holds the word "application").
    joined = _NEGATION.sub("nt", bare.casefold())
    folded = _SEPARATORS.sub(" ", _APOSTROPHES.sub(" ", joined))
    return _CANNOT.sub("cant", folded).strip()


class Rules:
    """The attribution rules of a catalog, compiled once."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)

    @classmethod
    def of(cls, catalog: Catalog) -> Rules:
        """One rule per keyword of every touchpoint of the catalog."""
        return cls.from_keywords({t.id: t.keywords for t in catalog.touchpoints.values()})

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Mapping[str, Iterable[str]]]) -> Rules:
        """Rules from ``{touchpoint: {language: [phrase, ...]}}``."""
        rules: list[Rule] = []
        for touchpoint, by_language in keywords.items():
            for language, phrases in sorted(by_language.items()):
                for phrase in phrases:
                    folded = fold(phrase)
                    if not folded:
                        continue
                    pattern = re.compile(r"(?<!\w)" + re.escape(folded) + r"(?!\w)")
                    rules.append(Rule(touchpoint, language, phrase, folded, pattern))
        return cls(rules)

    def attribute(self, text: str | None) -> Attribution:
        """The touchpoint of the longest matching phrase, or none on no match or a tie."""
        if not text:
            return Attribution(None, None)
        folded = fold(text)
        best: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.pattern.search(folded) is None:
                continue
            kept = best.get(rule.touchpoint)
            if kept is None or _length(rule) > _length(kept):
                best[rule.touchpoint] = rule
        if not best:
            return Attribution(None, None)
        candidates = tuple(sorted(best))
        longest = max(_length(r) for r in best.values())
        winners = [r for r in best.values() if _length(r) == longest]
        if len(winners) > 1:
            return Attribution(None, None, candidates)
        return Attribution(winners[0].touchpoint, winners[0].label, candidates)


def _length(rule: Rule) -> int:
    return len(rule.folded)
