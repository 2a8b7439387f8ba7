"""Scenario files: which company, how many customers, how long, and which faults when.

A scenario is written by people who want to rehearse an outage, so it is read
as strictly as the catalog: unknown keys are refused, every problem carries
its file and line, and faults are checked against the catalog they name
(a fault on a component that does not exist would silently simulate nothing).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from monitor.catalog import Catalog, load_catalog
from monitor.domain import ComponentKind
from monitor.errors import ConfigError, Problem
from monitor.yamlfile import YamlDocument, read_yaml_file

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any) -> timedelta:
    """Read ``90m``, ``1d6h``, ``4w`` or a number of minutes into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90m, 1d6h or 4w")
    if isinstance(value, int | float):
        return timedelta(minutes=float(value))
    text = str(value).strip()
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a duration such as 90m, 1d6h or 4w")
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def _utc(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
UtcTime = Annotated[datetime, BeforeValidator(_utc)]


class FaultKind(StrEnum):
    """What goes wrong with a component."""

    DOWN = "down"
    ERROR_RATIO = "error_ratio"
    LATENCY = "latency"
    REGION_CUT = "region_cut"
    BATCH_FAILURE = "batch_failure"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultSpec(_Strict):
    """One fault: a component, what happens to it, from when and for how long."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = ""
    component: str = Field(min_length=1)
    kind: FaultKind
    at: Duration
    """Offset from the start of the scenario."""
    duration: Duration
    error_ratio: float | None = Field(default=None, gt=0.0, le=1.0)
    latency_ms: float | None = Field(default=None, gt=0.0)
    ramp: bool = False
    """Latency grows linearly from nothing to ``latency_ms`` over the fault (slow degradation)."""

    @model_validator(mode="after")
    def _parameters_fit_kind(self) -> FaultSpec:
        if self.kind is FaultKind.ERROR_RATIO and self.error_ratio is None:
            raise ValueError("error_ratio faults need error_ratio (0 < r <= 1)")
        if self.kind is FaultKind.LATENCY and self.latency_ms is None:
            raise ValueError("latency faults need latency_ms")
        if self.kind is not FaultKind.ERROR_RATIO and self.error_ratio is not None:
            raise ValueError("error_ratio only applies to error_ratio faults")
        if self.kind is not FaultKind.LATENCY and (self.latency_ms is not None or self.ramp):
            raise ValueError("latency_ms and ramp only apply to latency faults")
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        return self


class ScenarioSpec(_Strict):
    """A simulated stretch of the company's life, with the faults that happen in it."""

    name: str = Field(min_length=1)
    description: str = ""
    catalog: str = Field(min_length=1)
    """Path to the catalog, relative to the scenario file."""
    seed: int = 1
    start: UtcTime
    duration: Duration
    customers: int = Field(gt=0, le=2_000_000)
    faults: list[FaultSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _faults_fit(self) -> ScenarioSpec:
        ids = [f.id for f in self.faults]
        if len(ids) != len(set(ids)):
            raise ValueError("fault ids must be unique")
        if self.duration < timedelta(hours=1):
            raise ValueError("duration must be at least 1h")
        for fault in self.faults:
            if fault.at >= self.duration:
                raise ValueError(f"fault {fault.id!r} starts after the scenario ends")
        return self


class Scenario:
    """A validated scenario with its catalog loaded."""

    def __init__(self, spec: ScenarioSpec, catalog: Catalog, *, source: str) -> None:
        self.spec = spec
        self.catalog = catalog
        self.source = source

    @property
    def start(self) -> datetime:
        """When the simulated history begins (UTC)."""
        return self.spec.start

    @property
    def end(self) -> datetime:
        """When the simulated history ends (UTC, exclusive)."""
        return self.spec.start + self.spec.duration

    @property
    def minutes(self) -> int:
        """Length of the history in whole minutes."""
        return int(self.spec.duration.total_seconds() // 60)

    def with_changes(
        self,
        *,
        seed: int | None = None,
        customers: int | None = None,
        duration: timedelta | None = None,
        start: datetime | None = None,
    ) -> Scenario:
        """A copy with command-line overrides applied, validated again."""
        data = self.spec.model_dump()
        if seed is not None:
            data["seed"] = seed
        if customers is not None:
            data["customers"] = customers
        if duration is not None:
            data["duration"] = duration
        if start is not None:
            data["start"] = start
        try:
            spec = ScenarioSpec.model_validate(data)
        except ValidationError as exc:
            problems = [Problem(self.source, None, "", e["msg"]) for e in exc.errors()]
            raise ConfigError(problems) from exc
        return Scenario(spec, self.catalog, source=self.source)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file and the catalog it names; ConfigError lists problems."""
    doc = read_yaml_file(path)
    try:
        spec = ScenarioSpec.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(_problems(doc, exc)) from exc
    catalog = load_catalog((path.parent / spec.catalog).resolve())
    problems = list(_catalog_problems(doc, spec, catalog))
    if problems:
        raise ConfigError(problems)
    return Scenario(spec, catalog, source=str(path))


def _problems(doc: YamlDocument, exc: ValidationError) -> list[Problem]:
    found: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
        found.append(doc.problem(loc, message))
    return found


def _catalog_problems(doc: YamlDocument, spec: ScenarioSpec, catalog: Catalog) -> list[Problem]:
    found: list[Problem] = []
    for i, fault in enumerate(spec.faults):
        comp = catalog.components.get(fault.component)
        where = ("faults", i, "component")
        if comp is None:
            found.append(doc.problem(where, f"unknown component {fault.component!r}"))
            continue
        if fault.kind is FaultKind.BATCH_FAILURE and comp.kind is not ComponentKind.BATCH_JOB:
            found.append(doc.problem(where, f"{comp.id!r} is a {comp.kind}, not a batch-job"))
        if fault.kind is FaultKind.REGION_CUT and comp.kind not in (
            ComponentKind.REGION,
            ComponentKind.NETWORK,
        ):
            found.append(
                doc.problem(where, f"region_cut needs a region or network, not {comp.kind}")
            )
    return found
