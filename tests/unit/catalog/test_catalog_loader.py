"""The catalog loads strictly: every problem listed with file and line, nothing half-loaded."""

from __future__ import annotations

import pytest

from monitor.catalog import load_catalog, parse_catalog_text
from monitor.domain import DependencyKind, MatchOp
from monitor.errors import CatalogError
from tests.conftest import EXAMPLE_CATALOG

MINIMAL = """\
version: 1
company: {name: Test Bank, segments: [retail]}
teams:
  - {id: ops, name: Ops, slack_channel: "#ops"}
components:
  - {id: db, name: Database, kind: database, team: ops, matchers: ['service="postgres"']}
  - id: api
    name: API
    kind: service
    team: ops
    matchers: ['service="api"']
    depends_on: [db]
touchpoints:
  - id: pay
    name: Pay
    journey: A customer pays.
    segments: [retail]
    team: ops
    depends_on: [api]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog_text(text, file="broken.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_example_catalog_is_a_realistic_company() -> None:
    catalog = load_catalog(EXAMPLE_CATALOG)
    assert len(catalog.components) >= 30
    assert len(catalog.touchpoints) >= 8
    kinds = {c.kind.value for c in catalog.components.values()}
    assert {"database", "queue", "identity", "third-party", "region"} <= kinds
    regions = {c.region for c in catalog.components.values() if c.region}
    assert len(regions) >= 2
    # shared infrastructure: the primary database is reached from every business
    reach = {t for t in catalog.touchpoints if _reaches(catalog, t, "db-primary-eu")}
    assert {"card-payments", "payroll-monthly-run", "check-in"} <= reach


def _reaches(catalog: object, start: str, target: str) -> bool:
    from monitor.catalog import Catalog

    assert isinstance(catalog, Catalog)
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(d.target for d in catalog.dependencies_of(node))
    return False


def test_a_minimal_catalog_loads_with_matchers_and_dependencies() -> None:
    catalog = parse_catalog_text(MINIMAL)
    [group] = catalog.components["db"].matchers
    assert group[0].op is MatchOp.EQ
    assert catalog.components["api"].depends_on[0].kind is DependencyKind.HARD
    assert catalog.dependants_of("db") == ("api",)
    assert catalog.dependants_of("api") == ("pay",)


def test_unknown_keys_are_refused_with_their_line() -> None:
    found = problems(MINIMAL.replace("    kind: service\n", "    kind: service\n    colour: red\n"))
    assert found == ["broken.yaml:10 at components.1.colour: unknown key 'colour'"]


def test_every_problem_is_listed_not_just_the_first() -> None:
    text = (
        MINIMAL.replace("depends_on: [db]", "depends_on: [db, nowhere]")
        .replace("team: ops\n    depends_on: [api]", "team: nobody\n    depends_on: [api]")
        .replace("id: api\n", "id: db\n")
    )
    found = "\n".join(problems(text))
    assert "unknown component or group 'nowhere'" in found
    assert "duplicate id 'db'" in found
    assert "nobody" in found
    assert found.count("broken.yaml:") >= 3


def test_a_cycle_of_hard_dependencies_is_refused() -> None:
    text = MINIMAL.replace(
        "matchers: ['service=\"postgres\"']}",
        "matchers: ['service=\"postgres\"'], depends_on: [api]}",
    )
    found = "\n".join(problems(text))
    assert "cycle" in found
    assert "api" in found
    assert "db" in found


def test_a_soft_cycle_is_allowed() -> None:
    text = MINIMAL.replace(
        "matchers: ['service=\"postgres\"']}",
        "matchers: ['service=\"postgres\"'], depends_on: [{target: api, kind: soft}]}",
    )
    catalog = parse_catalog_text(text)
    assert catalog.components["db"].depends_on[0].kind is DependencyKind.SOFT


def test_a_touchpoint_with_no_path_to_any_component_is_refused() -> None:
    text = MINIMAL + (
        "  - id: lonely\n    name: Lonely\n    journey: Nothing.\n    segments: [retail]\n"
        "    team: ops\n    depends_on: []\n"
    )
    found = "\n".join(problems(text))
    assert "lonely" in found or "touchpoints.1" in found
    assert "path" in found or "depend" in found


def test_a_bad_matcher_is_refused_with_its_location() -> None:
    found = "\n".join(problems(MINIMAL.replace("'service=\"api\"'", "'service=~\"(unclosed\"'")))
    assert "broken.yaml:11" in found


def test_duplicate_yaml_keys_are_refused() -> None:
    found = "\n".join(problems(MINIMAL.replace("version: 1\n", "version: 1\nversion: 1\n")))
    assert "broken.yaml:2" in found
    assert "duplicate" in found


@pytest.mark.parametrize(
    "text",
    ["", "[]", "version: 1\n", "{{{{", "\t- x", "a: &x [*x]", "version: 2\n" + MINIMAL[11:]],
)
def test_nonsense_is_refused_with_a_problem_never_a_crash(text: str) -> None:
    assert problems(text)


def test_a_regex_that_only_breaks_once_anchored_is_refused_at_load() -> None:
    # "(?i)x" compiles alone but not inside the anchoring group matchers use.
    found = "\n".join(problems(MINIMAL.replace("'service=\"api\"'", "'service=~\"(?i)api\"'")))
    assert "broken.yaml:11" in found
