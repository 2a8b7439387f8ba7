"""Tying alerts to catalog components."""

from __future__ import annotations

import string

from correlate_builders import example_catalog
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.catalog.model import Catalog
from monitor.correlate.match import MatchIndex
from monitor.domain import Component, ComponentKind, Matcher, MatchOp

CATALOG = example_catalog()
INDEX = MatchIndex.of(CATALOG)


def brute_force(catalog: Catalog, labels: dict[str, str]) -> frozenset[str]:
    found = {cid for cid, comp in catalog.components.items() if comp.matches(labels)}
    if labels.get("component") in catalog.components:
        found.add(labels["component"])
    return frozenset(found)


def test_alert_maps_through_any_alternative_matcher_group() -> None:
    by_role = {"service": "postgres", "role": "primary"}
    by_instance = {"job": "postgres", "instance": "db-primary-eu:9187"}
    assert INDEX.components_for(by_role) == {"db-primary-eu"}
    assert INDEX.components_for(by_instance) == {"db-primary-eu"}


def test_regex_matchers_are_anchored() -> None:
    labels = {"service": "postgres", "instance": "x-db-replica-eu-1"}
    assert INDEX.components_for(labels) == frozenset()
    labels["instance"] = "db-replica-eu-1:9187"
    assert INDEX.components_for(labels) == {"db-replica-eu-1"}


def test_component_label_maps_directly_to_a_catalog_id() -> None:
    assert INDEX.components_for({"component": "ledger"}) == {"ledger"}
    assert INDEX.components_for({"component": "no-such-thing"}) == frozenset()


def test_one_alert_can_be_about_several_components() -> None:
    labels = {"service": "idp", "component": "ledger"}
    assert INDEX.components_for(labels) == {"idp", "ledger"}


def test_missing_label_reads_as_empty_for_not_equal_and_regex() -> None:
    comp = Component(
        id="no-env",
        name="x",
        kind=ComponentKind.SERVICE,
        team=None,
        matchers=(
            (Matcher("env", MatchOp.NE, "prod"), Matcher("tier", MatchOp.RE, "")),
            (Matcher("zone", MatchOp.EQ, ""), Matcher("app", MatchOp.EQ, "a")),
        ),
    )
    catalog = Catalog.build(
        company="c", segments=(), teams={}, components={"no-env": comp}, groups={}, touchpoints={}
    )
    index = MatchIndex.of(catalog)
    assert index.components_for({}) == {"no-env"}
    assert index.components_for({"env": "prod", "tier": "x"}) == frozenset()
    assert index.components_for({"env": "prod", "app": "a"}) == {"no-env"}
    assert index.components_for({"env": "prod", "app": "a", "zone": "z"}) == frozenset()


LABEL_NAMES = st.sampled_from(["service", "role", "job", "instance", "scope", "region", "cluster"])
LABEL_VALUES = st.one_of(
    st.sampled_from(
        [
            "postgres",
            "primary",
            "db-primary-eu-7",
            "db-replica-eu-2.local",
            "rabbitmq",
            "mq-3",
            "region",
            "eu-west",
            "core-network",
            "redis",
            "sessions",
            "idp",
            "payroll-calculator",
        ]
    ),
    st.text(alphabet=string.ascii_lowercase + "-.", max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(LABEL_NAMES, LABEL_VALUES, max_size=5))
def test_index_finds_exactly_what_checking_every_component_finds(labels: dict[str, str]) -> None:
    assert INDEX.components_for(labels) == brute_force(CATALOG, labels)


ODD_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["\udcff", "\x00\x1b[31m", "x" * 10_000, "é\u202e", ""])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(ODD_TEXT | LABEL_NAMES, ODD_TEXT, max_size=6))
def test_odd_labels_never_raise(labels: dict[str, str]) -> None:
    assert INDEX.components_for(labels) == brute_force(CATALOG, labels)


def test_non_string_label_values_are_read_as_text() -> None:
    labels: dict[str, object] = {"service": "idp", "port": 8080, "none": None}
    assert INDEX.components_for(labels) == {"idp"}  # type: ignore[arg-type]


REGEX_ONLY = [
    "legacy-1-.*",
    "legacy-12-.*",
    "ab*c",
    "a?b",
    "x{2}y",
    "db-(1|2)",
    "foo|bar",
    "(?i:caps)-.*",
    "pre.fix",
    "lit",
    "",
    "a+b",
    r"h\.1",
]


def regex_catalog() -> Catalog:
    components = {
        f"r{i}": Component(
            id=f"r{i}",
            name=f"r{i}",
            kind=ComponentKind.SERVICE,
            team=None,
            matchers=((Matcher("instance", MatchOp.RE, pattern),),),
        )
        for i, pattern in enumerate(REGEX_ONLY)
    }
    return Catalog.build(
        company="c", segments=(), teams={}, components=components, groups={}, touchpoints={}
    )


REGEX_CATALOG = regex_catalog()
REGEX_INDEX = MatchIndex.of(REGEX_CATALOG)
INSTANCES = st.one_of(
    st.sampled_from(
        ["legacy-1-a", "legacy-12-", "ac", "abbc", "b", "ab", "xxy", "db-2", "bar", "CAPS-1",
         "prefix", "pre-fix", "lit", "", "aab", "h.1", "hx1", "legacy-1"]
    ),
    st.text(alphabet="abcxy.-12", max_size=6),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), INSTANCES))
def test_regex_only_components_filed_by_prefix_match_like_a_full_scan(instance: str | None) -> None:
    labels = {} if instance is None else {"instance": instance}
    assert REGEX_INDEX.components_for(labels) == brute_force(REGEX_CATALOG, labels)


def test_regex_prefix_filing_keeps_optional_characters_out_of_the_prefix() -> None:
    assert REGEX_INDEX.components_for({"instance": "ac"}) == {"r2"}
    assert REGEX_INDEX.components_for({"instance": "b"}) == {"r3"}
    assert REGEX_INDEX.components_for({}) == {"r10"}
