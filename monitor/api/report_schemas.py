"""Bodies of the report and action-item endpoints (``XCreate``, ``XPatch``, ``XRead``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.store.repositories.action_items import ActionItem, ActionItemStatus
from monitor.store.repositories.reports import StoredReport


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionItemCreate(_Strict):
    """A follow-up agreed after an incident."""

    title: str = Field(min_length=3, max_length=500)
    by: str = Field(min_length=1, max_length=255)
    owner: str | None = Field(default=None, max_length=255)
    due_on: date | None = None
    note: str | None = Field(default=None, max_length=5_000)


class ActionItemPatch(_Strict):
    """Changes to an action item; at least one field besides ``by``."""

    by: str = Field(min_length=1, max_length=255)
    title: str | None = Field(default=None, min_length=3, max_length=500)
    owner: str | None = Field(default=None, max_length=255)
    status: ActionItemStatus | None = None
    due_on: date | None = None
    note: str | None = Field(default=None, max_length=5_000)

    @model_validator(mode="after")
    def _something(self) -> ActionItemPatch:
        if not self.changes():
            raise ValueError("nothing to change: give title, owner, status, due_on or note")
        return self

    def changes(self) -> dict[str, object]:
        """The fields given, as the store keeps them (dates as ISO strings)."""
        given = self.model_dump(exclude_unset=True, exclude={"by"})
        if isinstance(given.get("due_on"), date):
            given["due_on"] = given["due_on"].isoformat()
        if given.get("title") is None:
            given.pop("title", None)
        if given.get("status") is None:
            given.pop("status", None)
        return given


class ActionItemRead(BaseModel):
    """An action item as the API shows it."""

    id: int
    incident_id: int
    title: str
    owner: str | None
    status: ActionItemStatus
    due_on: str | None
    note: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: ActionItem) -> ActionItemRead:
        """The API view of an action item."""
        return cls(**item.__dict__)


class StoredReportRead(BaseModel):
    """A report kept when it was written (its text is served by the report endpoint)."""

    id: int
    incident_id: int
    created_at: datetime
    final: bool

    @classmethod
    def of(cls, report: StoredReport) -> StoredReportRead:
        """The API view of a stored report, without its text."""
        return cls(
            id=report.id,
            incident_id=report.incident_id,
            created_at=report.created_at,
            final=report.final,
        )
