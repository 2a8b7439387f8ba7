"""Loading ``playbooks/*.yaml`` strictly and checking them against the catalog.

Every problem is reported with its file and line: unknown keys and steps,
triggers on touchpoints or segments the catalog does not know, channels no
team or touchpoint uses, and templates that do not compile or do not render
against a sample incident. Nothing of a directory with a problem is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.catalog import Catalog
from monitor.errors import ConfigError, Problem, TemplateRenderError
from monitor.playbooks.context import SAMPLE_LOW_SCORE, sample_view, template_context
from monitor.playbooks.schema import STEP_KINDS, PlaybookSpec, StepSpec
from monitor.playbooks.templates import Templates
from monitor.playbooks.triggers import zone
from monitor.yamlfile import YamlDocument, read_yaml_file

TEMPLATES_DIR = "templates"

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class PlaybookSet:
    """The loaded playbooks of a deployment and the templates they use."""

    playbooks: tuple[PlaybookSpec, ...]
    templates: Templates
    source: str = ""

    def ordered(self) -> list[PlaybookSpec]:
        """Specific playbooks by priority, then the fallbacks."""
        return sorted(self.playbooks, key=lambda p: (p.fallback, p.priority, p.id))

    def by_id(self, playbook_id: str) -> PlaybookSpec | None:
        """The playbook with this id, if loaded."""
        return next((p for p in self.playbooks if p.id == playbook_id), None)


def empty_playbooks() -> PlaybookSet:
    """No playbooks: nothing is ever planned."""
    return PlaybookSet(playbooks=(), templates=Templates())


def load_playbooks(directory: Path, catalog: Catalog) -> PlaybookSet:
    """Load and check every playbook in ``directory``; ConfigError listing every problem."""
    book, problems = check_playbooks(directory, catalog)
    if problems:
        raise ConfigError(problems)
    return book


def check_playbooks(directory: Path, catalog: Catalog) -> tuple[PlaybookSet, list[Problem]]:
    """The playbooks of ``directory`` that are valid, and every problem found."""
    name = str(directory)
    if not directory.is_dir():
        return empty_playbooks(), [Problem(name, None, "", "not a directory")]
    templates = Templates(directory / TEMPLATES_DIR)
    problems: list[Problem] = []
    loaded: list[PlaybookSpec] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.y*ml")):
        try:
            doc = read_yaml_file(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        spec, found = _parse(doc)
        if spec is None:
            problems.extend(found)
            continue
        found.extend(_catalog_problems(doc, spec, catalog))
        found.extend(_template_problems(doc, spec, catalog, templates))
        if spec.id in seen:
            found.append(doc.problem(("id",), f"playbook id {spec.id!r} also in {seen[spec.id]}"))
        seen.setdefault(spec.id, str(path))
        problems.extend(found)
        if not found:
            loaded.append(spec)
    return PlaybookSet(tuple(loaded), templates, source=name), problems


def _parse(doc: YamlDocument) -> tuple[PlaybookSpec | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [doc.problem((), "a playbook must be a mapping")]
    try:
        return PlaybookSpec.model_validate(doc.data), []
    except ValidationError as exc:
        return None, _schema_problems(doc, exc)


def _schema_problems(doc: YamlDocument, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[PathKey, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        message = err["msg"]
        if err["type"] == "extra_forbidden" and loc:
            is_step = len(loc) >= 3 and isinstance(loc[-2], int) and loc[-3] in _STEP_LISTS
            message = (
                f"unknown step {loc[-1]!r} (known: {', '.join(STEP_KINDS)})"
                if is_step
                else f"unknown key {loc[-1]!r}"
            )
        if (loc, message) not in seen:
            seen.add((loc, message))
            problems.append(doc.problem(loc, message))
    return problems


_STEP_LISTS = ("steps", "on_resolve")


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part.startswith(("list[", "function-", "constrained-str", "literal["))
        or part in ("str", "int", "float")
    )


def _walk(spec: PlaybookSpec) -> Iterator[tuple[PathKey, StepSpec]]:
    def inner(steps: list[StepSpec], path: PathKey) -> Iterator[tuple[PathKey, StepSpec]]:
        for i, step in enumerate(steps):
            here = (*path, i)
            yield here, step
            nested = step.repeat or step.escalate
            if nested is not None:
                yield from inner(nested.steps, (*here, step.kind, "steps"))

    yield from inner(spec.steps, ("steps",))
    yield from inner(spec.on_resolve, ("on_resolve",))


def known_channels(catalog: Catalog) -> set[str]:
    """Every channel the catalog names: teams' channels, on-call channels, touchpoints'."""
    channels = {t.slack_channel for t in catalog.teams.values()}
    channels |= {t.oncall_channel for t in catalog.teams.values() if t.oncall_channel}
    channels |= {t.slack_channel for t in catalog.touchpoints.values()}
    return channels


def _catalog_problems(doc: YamlDocument, spec: PlaybookSpec, catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []

    def unknown(path: PathKey, values: Iterable[str], known: Iterable[str], what: str) -> None:
        allowed = set(known)
        for i, value in enumerate(values):
            if value not in allowed:
                problems.append(doc.problem((*path, i), f"unknown {what} {value!r}"))

    def one(path: PathKey, value: str, known: Iterable[str], what: str) -> None:
        if value not in set(known):
            problems.append(doc.problem(path, f"unknown {what} {value!r}"))

    trigger = spec.trigger
    unknown(("trigger", "touchpoints"), trigger.touchpoints, catalog.touchpoints, "touchpoint")
    unknown(("trigger", "segments"), trigger.segments, catalog.segments, "segment")
    if trigger.time is not None:
        try:
            zone(trigger.time.timezone)
        except ValueError as exc:
            problems.append(doc.problem(("trigger", "time", "timezone"), str(exc)))
    channels = known_channels(catalog)
    for path, step in _walk(spec):
        here = (*path, step.kind)
        if step.slack is not None and step.slack.channel is not None:
            one((*here, "channel"), step.slack.channel, channels, "channel")
        if step.slack is not None and step.slack.fallback_channel is not None:
            fallback = step.slack.fallback_channel
            one((*here, "fallback_channel"), fallback, channels, "channel")
        if step.page is not None and step.page.team != "owner":
            one((*here, "team"), step.page.team, catalog.teams, "team")
        if step.status_page is not None and step.status_page.touchpoint != "affected":
            tp = step.status_page.touchpoint
            one((*here, "touchpoint"), tp, catalog.touchpoints, "touchpoint")
        if step.customer_message is not None:
            message = step.customer_message
            unknown((*here, "touchpoints"), message.touchpoints, catalog.touchpoints, "touchpoint")
            unknown((*here, "segments"), message.segments, catalog.segments, "segment")
        if step.export_customer_ids is not None:
            tps = step.export_customer_ids.touchpoints
            unknown((*here, "touchpoints"), tps, catalog.touchpoints, "touchpoint")
    return problems


def _template_problems(
    doc: YamlDocument, spec: PlaybookSpec, catalog: Catalog, templates: Templates
) -> list[Problem]:
    problems: list[Problem] = []
    context = template_context(sample_view(catalog), catalog)
    context["playbook"] = {"id": spec.id, "name": spec.name}
    context["matched"] = context["touchpoints"]
    if spec.trigger.low_score is not None:
        context["low_score"] = dict(SAMPLE_LOW_SCORE)
    sample_tp = context["touchpoints"][0] if context["touchpoints"] else {}
    for path, step in _walk(spec):
        here = (*path, step.kind)
        for field, source, extra in _template_fields(step, sample_tp):
            try:
                if isinstance(source, str):
                    templates.render(source, {**context, **extra})
                else:
                    templates.render_json(source, {**context, **extra})
            except TemplateRenderError as exc:
                problems.append(doc.problem((*here, field), f"template error: {exc}"))
    return problems


def _template_fields(
    step: StepSpec, tp: dict[str, Any]
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    if step.slack is not None and not step.slack.update_head:
        yield "text", step.slack.text, {}
    if step.page is not None:
        yield "text", step.page.text, {}
    if step.status_page is not None:
        yield "text", step.status_page.text, {"touchpoint": tp}
    if step.customer_message is not None:
        segment = (tp.get("segments") or ["retail"])[0]
        yield "en", step.customer_message.en, {"touchpoint": tp, "segment": segment, "lang": "en"}
        yield "fr", step.customer_message.fr, {"touchpoint": tp, "segment": segment, "lang": "fr"}
    if step.webhook is not None:
        yield "body", step.webhook.body, {}
