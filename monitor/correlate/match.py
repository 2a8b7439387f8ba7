"""Tie alerts to catalog components, fast enough for catalogs of thousands of components.

An alert is about a component when its labels satisfy every matcher of any
one of the component's matcher groups (``Component.matches``: Alertmanager
semantics, anchored regular expressions, a missing label reads as ""). A label
``component`` naming a catalog id ties the alert to that component as well, so
sources that already know the component need no matchers.

Checking every component for every alert costs catalog size × alerts. Instead
each matcher group is filed under the (label, value) of one of its equality
matchers: an alert only checks the groups filed under its own label values.
Groups without one are filed under the literal prefix of a regular
expression matcher (``instance=~"db-7-.*"`` under "db-7-") and checked only
when the alert's label starts with it; the rest are checked for every alert.
The answer is the same as testing every component, which the tests check.

Labels from outside can be anything: empty, huge, with control characters or
lone surrogates. Nothing here raises on them; an alert that matches nothing is
unmapped, and callers report it rather than drop it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.catalog.model import Catalog
from monitor.domain import Matcher, MatchOp

COMPONENT_LABEL = "component"

_Group = tuple[str, tuple[Matcher, ...]]


@dataclass(frozen=True)
class MatchIndex:
    """Matcher groups of a catalog, filed by one equality matcher each."""

    by_label: Mapping[str, Mapping[str, tuple[_Group, ...]]]
    """label name → label value → (component id, matcher group) filed there."""
    by_prefix: Mapping[str, Mapping[str, tuple[_Group, ...]]]
    """label name → literal prefix of a regex matcher → groups filed there."""
    prefix_lengths: Mapping[str, tuple[int, ...]]
    """label name → the distinct prefix lengths filed under it."""
    unindexed: tuple[_Group, ...]
    """Groups with neither: checked for every alert."""
    component_ids: frozenset[str]

    @classmethod
    def of(cls, catalog: Catalog) -> MatchIndex:
        """Index every matcher group of the catalog's components."""
        by_label: dict[str, dict[str, list[_Group]]] = {}
        by_prefix: dict[str, dict[str, list[_Group]]] = {}
        unindexed: list[_Group] = []
        for cid, component in catalog.components.items():
            for group in component.matchers:
                key = _filing_key(group)
                prefix = None if key else _prefix_key(group)
                if key is not None:
                    by_label.setdefault(key[0], {}).setdefault(key[1], []).append((cid, group))
                elif prefix is not None:
                    by_prefix.setdefault(prefix[0], {}).setdefault(prefix[1], []).append(
                        (cid, group)
                    )
                else:
                    unindexed.append((cid, group))
        return cls(
            by_label=_frozen(by_label),
            by_prefix=_frozen(by_prefix),
            prefix_lengths={
                name: tuple(sorted({len(p) for p in prefixes}))
                for name, prefixes in by_prefix.items()
            },
            unindexed=tuple(unindexed),
            component_ids=frozenset(catalog.components),
        )

    def components_for(self, labels: Mapping[str, str]) -> frozenset[str]:
        """Ids of the components an alert with these labels is about (empty: unmapped)."""
        clean = clean_labels(labels)
        found: set[str] = set()
        direct = clean.get(COMPONENT_LABEL)
        if direct is not None and direct in self.component_ids:
            found.add(direct)
        for name, values in self.by_label.items():
            for cid, group in values.get(clean.get(name, ""), ()):
                if cid not in found and _all_match(group, clean):
                    found.add(cid)
        for name, prefixes in self.by_prefix.items():
            value = clean.get(name, "")
            for length in self.prefix_lengths[name]:
                if length > len(value):
                    break
                for cid, group in prefixes.get(value[:length], ()):
                    if cid not in found and _all_match(group, clean):
                        found.add(cid)
        for cid, group in self.unindexed:
            if cid not in found and _all_match(group, clean):
                found.add(cid)
        return frozenset(found)


def _filing_key(group: tuple[Matcher, ...]) -> tuple[str, str] | None:
    """The (label, value) to file a group under: a non-empty equality matcher when there is one.

    An empty group matches every alert and an EQ matcher on "" matches alerts
    without the label; both still file correctly because lookups read a missing
    label as "", but a non-empty value narrows the candidates far more.
    """
    equalities = [m for m in group if m.op is MatchOp.EQ]
    if not equalities:
        return None
    best = next((m for m in equalities if m.value), equalities[0])
    return best.name, best.value


_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_OPTIONAL = frozenset("*?{")


def _prefix_key(group: tuple[Matcher, ...]) -> tuple[str, str] | None:
    """(label, literal prefix) of the regex matcher whose prefix is longest, if any is non-empty.

    A value can only match an anchored pattern if it starts with the pattern's
    literal prefix. Patterns with an alternation anywhere get no prefix, and a
    character made optional by the quantifier after it is not part of it.
    """
    best: tuple[str, str] | None = None
    for matcher in group:
        if matcher.op is not MatchOp.RE or "|" in matcher.value:
            continue
        prefix = _literal_prefix(matcher.value)
        if prefix and (best is None or len(prefix) > len(best[1])):
            best = (matcher.name, prefix)
    return best


def _literal_prefix(pattern: str) -> str:
    for i, char in enumerate(pattern):
        if char in _SPECIAL:
            return pattern[: i - 1] if char in _OPTIONAL else pattern[:i]
    return pattern


def _frozen(table: dict[str, dict[str, list[_Group]]]) -> dict[str, dict[str, tuple[_Group, ...]]]:
    return {name: {k: tuple(v) for k, v in values.items()} for name, values in table.items()}


def _all_match(group: tuple[Matcher, ...], labels: Mapping[str, str]) -> bool:
    try:
        return all(m.matches(labels) for m in group)
    except re.error:
        # A pattern Python cannot compile matches nothing rather than stopping correlation.
        return False


def clean_labels(labels: Mapping[str, str]) -> Mapping[str, str]:
    """Labels as plain strings: sources that send numbers or nulls must not break matching."""
    try:
        if all(type(k) is str and type(v) is str for k, v in labels.items()):
            return labels
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}
    except (AttributeError, TypeError):
        return {}
