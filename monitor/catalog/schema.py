"""The catalog file's schema, as strict pydantic models.

These describe the YAML as people write it (short forms allowed); the loader
turns them into domain objects. ``extra="forbid"`` everywhere so that a typo
in a key is an error with its line, not a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$", strip_whitespace=False)
]
"""Ids appear in URLs, Slack and metrics labels: lower-case, digits, '.', '_' and '-'."""

MATCHER_RE = re.compile(
    r"""^\s*(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"""
    r"""(?:"(?P<dq>(?:[^"\\]|\\.)*)"|(?P<bare>[^"\s][^\s]*))?\s*$"""
)


class Strict(BaseModel):
    """Base: unknown keys are errors and models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamSpec(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    slack_channel: str = Field(pattern=r"^#[a-z0-9._-]{1,80}$")
    oncall_channel: str | None = Field(default=None, pattern=r"^#[a-z0-9._-]{1,80}$")


class DependencySpec(Strict):
    target: Identifier
    kind: Literal["hard", "soft"] = "hard"


DependencyEntry = Identifier | DependencySpec
"""A bare id is a hard dependency; the mapping form says ``kind`` explicitly."""


class ComponentSpec(Strict):
    id: Identifier
    name: str | None = None
    kind: Literal[
        "service",
        "database",
        "queue",
        "cache",
        "network",
        "region",
        "third-party",
        "batch-job",
        "identity",
        "storage",
    ]
    team: Identifier | None = None
    region: Identifier | None = None
    matchers: list[str] | list[list[str]] = Field(default_factory=list)
    depends_on: list[DependencyEntry] = Field(default_factory=list)

    @field_validator("matchers")
    @classmethod
    def _matchers_parse(cls, value: list[str] | list[list[str]]) -> list[str] | list[list[str]]:
        groups = [value] if value and isinstance(value[0], str) else value
        for group in groups:
            assert isinstance(group, list)
            if not group:
                raise ValueError("a matcher group must not be empty")
            for text in group:
                parse_matcher(str(text))
        return value


class RedundancyGroupSpec(Strict):
    id: Identifier
    name: str | None = None
    members: list[Identifier] = Field(min_length=1)
    min_up: int = Field(ge=1)


class EstimatorSpecModel(Strict):
    method: Literal["prometheus_traffic", "operational_sql", "scheduled_exposure", "topology_share"]
    queries: dict[str, str] = Field(default_factory=dict)
    params: dict[str, float | int | str] = Field(default_factory=dict)


class TouchpointSpec(Strict):
    id: Identifier
    name: str = Field(min_length=1)
    journey: str = Field(min_length=1)
    segments: list[Identifier] = Field(min_length=1)
    team: Identifier
    slack_channel: str | None = Field(default=None, pattern=r"^#[a-z0-9._-]{1,80}$")
    depends_on: list[DependencyEntry] = Field(min_length=1)
    estimators: list[EstimatorSpecModel] = Field(default_factory=list)
    keywords: dict[Literal["en", "fr"], list[str]] = Field(default_factory=dict)
    scheduled: bool = False


class CompanySpec(Strict):
    name: str = Field(min_length=1)
    segments: list[Identifier] = Field(min_length=1)


class CatalogSpec(Strict):
    version: Literal[1]
    company: CompanySpec
    teams: list[TeamSpec] = Field(min_length=1)
    components: list[ComponentSpec] = Field(min_length=1)
    redundancy_groups: list[RedundancyGroupSpec] = Field(default_factory=list)
    touchpoints: list[TouchpointSpec] = Field(min_length=1)


def parse_matcher(text: str) -> tuple[str, str, str]:
    """Split an Alertmanager matcher (``name=~"value"``) into name, operator and value.

    Raises ValueError with a readable message for anything else, including
    regular expressions that do not compile.
    """
    found = MATCHER_RE.match(text)
    if found is None:
        raise ValueError(f'not a label matcher: {text!r} (expected e.g. service="db")')
    op = found["op"]
    if found["dq"] is not None:
        # Only \" and \\ are escapes, as in Alertmanager; "\." stays a regex escape.
        value = re.sub(r'\\(["\\])', r"\1", found["dq"])
    else:
        value = found["bare"] or ""
    if op in ("=~", "!~"):
        try:
            re.compile(f"^(?:{value})$")  # as Matcher compiles it
        except re.error as exc:
            raise ValueError(f"bad regular expression in {text!r}: {exc}") from exc
    return found["name"], op, value
