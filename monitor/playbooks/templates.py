"""Jinja2 templates of playbooks: sandboxed, strict about undefined names.

Templates come from configuration, so they run in Jinja2's sandbox (no
attribute access to Python internals) and with ``StrictUndefined``: a typo
such as ``{{ incident.titel }}`` is an error that ``monitor check`` reports
with the playbook's file and line, when the templates are rendered against a
sample context, instead of an empty string in a message at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from monitor.errors import TemplateRenderError

TEMPLATE_SUFFIX = ".j2"


def is_file_reference(source: str) -> bool:
    """True when a template field names a file instead of holding the text."""
    return source.endswith(TEMPLATE_SUFFIX) and "\n" not in source and "{" not in source


def format_customers(value: Any) -> str:
    """An interval such as ``≈1,200 (900–1,500 at 90%)``; "estimate pending" when unknown."""
    if not isinstance(value, Mapping) or "estimate" not in value:
        return "estimate pending"
    level = value.get("level")
    shown = f" at {round(float(level) * 100)}%" if isinstance(level, int | float) else ""
    return f"≈{int(value['estimate']):,} ({int(value['low']):,}–{int(value['high']):,}{shown})"


class Templates:
    """Compiles and renders templates, inline or from ``directory``."""

    def __init__(self, directory: Path | None = None) -> None:
        loader = FileSystemLoader(str(directory)) if directory is not None else None
        self._env = ImmutableSandboxedEnvironment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )
        self._env.filters["customers"] = format_customers
        self._cache: dict[str, Template] = {}

    def compile(self, source: str) -> Template:
        """The compiled template; TemplateRenderError when it cannot be compiled."""
        cached = self._cache.get(source)
        if cached is not None:
            return cached
        try:
            if is_file_reference(source):
                template = self._env.get_template(source)
            else:
                template = self._env.from_string(source)
        except TemplateError as exc:
            raise TemplateRenderError(_describe(exc)) from exc
        self._cache[source] = template
        return template

    def render(self, source: str, context: Mapping[str, Any]) -> str:
        """Render ``source`` with ``context``; TemplateRenderError on any template error."""
        template = self.compile(source)
        try:
            return template.render(**context).strip()
        except TemplateError as exc:
            raise TemplateRenderError(_describe(exc)) from exc
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc

    def render_json(self, value: Any, context: Mapping[str, Any]) -> Any:
        """A JSON value with every string in it rendered as a template."""
        if isinstance(value, str):
            return self.render(value, context)
        if isinstance(value, Mapping):
            return {str(k): self.render_json(v, context) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render_json(v, context) for v in value]
        return value


def _describe(exc: TemplateError) -> str:
    line = getattr(exc, "lineno", None)
    name = getattr(exc, "name", None)
    where = f" ({name}, template line {line})" if name else ""
    return f"{type(exc).__name__}: {exc.message or exc}{where}"
