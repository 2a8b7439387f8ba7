"""API tokens: only their SHA-256 digests are stored, never the tokens."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import ApiTokenRow


@dataclass(frozen=True)
class ApiToken:
    """A token's identity and scopes (not the token itself)."""

    id: int
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None


class TokenRepository:
    """Reads and writes ``api_tokens``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, *, name: str, digest: str, scopes: Collection[str], created_at: datetime
    ) -> ApiToken:
        """Store a new token's digest and scopes."""
        row = ApiTokenRow(name=name, digest=digest, scopes=sorted(scopes), created_at=created_at)
        self._session.add(row)
        self._session.flush()
        return _token(row)

    def by_digest(self, digest: str) -> ApiToken | None:
        """The live (not revoked) token with this digest."""
        row = self._session.scalars(
            select(ApiTokenRow).where(
                ApiTokenRow.digest == digest, ApiTokenRow.revoked_at.is_(None)
            )
        ).first()
        return _token(row) if row else None

    def revoke(self, token_id: int, *, at: datetime) -> bool:
        """Revoke a token; False when there is no such live token."""
        row = self._session.get(ApiTokenRow, token_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = at
        return True

    def all(self) -> list[ApiToken]:
        """Every token, oldest first."""
        return [
            _token(r) for r in self._session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))
        ]


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        scopes=frozenset(row.scopes),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
