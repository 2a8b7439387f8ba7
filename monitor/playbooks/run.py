"""One playbook being planned for one incident: what its steps need to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.catalog import Catalog
from monitor.playbooks.context import IncidentView, template_context
from monitor.playbooks.loader import PlaybookSet
from monitor.playbooks.schema import PlaybookSpec


@dataclass(frozen=True)
class Run:
    """A playbook, the incident view and the touchpoints its trigger matched."""

    book: PlaybookSet
    playbook: PlaybookSpec
    view: IncidentView
    catalog: Catalog
    touchpoints: tuple[str, ...]
    context: dict[str, Any]

    @classmethod
    def start(
        cls,
        *,
        book: PlaybookSet,
        playbook: PlaybookSpec,
        view: IncidentView,
        catalog: Catalog,
        touchpoints: tuple[str, ...],
    ) -> Run:
        """A run with its template context (``matched``: the touchpoints the trigger chose)."""
        context = template_context(view, catalog)
        context["playbook"] = {"id": playbook.id, "name": playbook.name}
        chosen = set(touchpoints)
        context["matched"] = [t for t in context["touchpoints"] if t["id"] in chosen]
        return cls(book, playbook, view, catalog, touchpoints, context)

    @property
    def incident_id(self) -> int:
        """The incident being planned for."""
        return self.view.incident.id

    def key(self, path: str, occurrence: str, *parts: str) -> str:
        """The outbox key of a step occurrence: stable across re-planning."""
        return ":".join((str(self.incident_id), self.playbook.id, path, occurrence, *parts))

    def render(self, source: str, **extra: Any) -> str:
        """Render a template field with the run's context (plus ``extra``)."""
        return self.book.templates.render(source, {**self.context, **extra})
