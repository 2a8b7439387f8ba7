"""Strict, bounded YAML reading for configuration files, with line numbers.

Configuration (catalog, playbooks, scenarios) comes from people and from
repositories, so it is read with the safe loader only (no Python object
construction), with a size and nesting limit, refusing duplicate keys (which
plain YAML silently overwrites), and remembering the line of every value so
that validation errors can say where they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import ConfigError, Problem

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000
"""Aliases can expand a small file into a huge tree (the "billion laughs"); this bounds it."""

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the line of every value, by path."""

    file: str
    data: Any
    lines: dict[PathKey, int]

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The line of the value at ``path``, or of its nearest enclosing value."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)

    def problem(self, path: Iterable[str | int], message: str) -> Problem:
        """A problem located at ``path`` in this document."""
        key = tuple(path)
        return Problem(
            file=self.file,
            line=self.line_of(key),
            path=".".join(str(k) for k in key),
            message=message,
        )


def read_yaml_file(path: Path) -> YamlDocument:
    """Read one YAML file strictly; raise ConfigError with the location on any problem."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError([Problem(name, None, "", f"cannot read: {exc.strerror}")]) from exc
    if size > MAX_BYTES:
        raise ConfigError([Problem(name, None, "", f"file is {size} bytes, limit {MAX_BYTES}")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(name, None, "", f"not UTF-8: {exc.reason}")]) from exc
    return parse_yaml_text(text, file=name)


def parse_yaml_text(text: str, *, file: str) -> YamlDocument:
    """Parse YAML text strictly; raise ConfigError with the location on any problem."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError([Problem(file, None, "", f"document larger than {MAX_BYTES} bytes")])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(file, line, "", f"invalid YAML: {reason}")]) from exc
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    data = _to_python(node, (), lines, problems, file=file, depth=0) if node is not None else None
    if len(lines) > MAX_NODES:
        problems = [Problem(file, None, "", f"more than {MAX_NODES} values (alias expansion?)")]
    if problems:
        raise ConfigError(problems)
    return YamlDocument(file=file, data=data, lines=lines)


def _to_python(
    node: yaml.Node,
    path: PathKey,
    lines: dict[PathKey, int],
    problems: list[Problem],
    *,
    file: str,
    depth: int,
) -> Any:
    lines[path] = node.start_mark.line + 1
    if len(lines) > MAX_NODES:
        return None
    if depth > MAX_DEPTH:
        problems.append(Problem(file, lines[path], _dotted(path), "nesting too deep"))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, _dotted(path), "keys must be text")
                )
                continue
            key = str(key_node.value)
            if key == "<<":
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        _dotted(path),
                        "merge keys (<<) are not supported",
                    )
                )
                continue
            if key in result:
                problems.append(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        _dotted((*path, key)),
                        f"duplicate key {key!r}",
                    )
                )
                continue
            result[key] = _to_python(
                value_node, (*path, key), lines, problems, file=file, depth=depth + 1
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, (*path, i), lines, problems, file=file, depth=depth + 1)
            for i, item in enumerate(node.value)
        ]
    return yaml.SafeLoader(" ").construct_object(node)


def _dotted(path: PathKey) -> str:
    return ".".join(str(k) for k in path)
