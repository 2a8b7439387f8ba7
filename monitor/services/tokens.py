"""API tokens: created once and shown once, stored as digests, checked by scope.

Scopes: ``status:read`` (internal status, incidents, components), ``incidents:write``
(declare, change, maintenance), ``ingest`` (post alerts and events), ``admin``
(everything). Tokens are 256-bit random strings, so an unsalted SHA-256 digest
is enough to make a stolen database useless for calling the API.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime

from monitor.errors import InputError
from monitor.store import Store
from monitor.store.repositories.tokens import ApiToken

SCOPES = frozenset({"status:read", "incidents:write", "ingest", "admin"})
PREFIX = "mon_"


def digest_of(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    store: Store, *, name: str, scopes: Collection[str], actor: str, now: datetime
) -> tuple[str, ApiToken]:
    """Create a token; returns the token itself (shown once, never stored) and its record.

    The audit entry names the token's id, name and scopes, never the token or its digest.
    """
    unknown = sorted(set(scopes) - SCOPES)
    if unknown or not scopes:
        given = ", ".join(unknown) or "none"
        raise InputError(f"scopes must be some of {', '.join(sorted(SCOPES))}; got {given}")
    token = PREFIX + secrets.token_urlsafe(32)
    with store.unit_of_work() as uow:
        record = uow.tokens.add(name=name, digest=digest_of(token), scopes=scopes, created_at=now)
        uow.audit.record(
            at=now,
            actor=actor,
            action="token.created",
            target=f"token:{record.id}",
            details={"name": record.name, "scopes": sorted(record.scopes)},
        )
        uow.commit()
    return token, record


def find_token(store: Store, token: str) -> ApiToken | None:
    """The live token record for a presented token, None when unknown or revoked."""
    with store.unit_of_work() as uow:
        return uow.tokens.by_digest(digest_of(token))


def revoke_token(store: Store, *, token_id: int, actor: str, now: datetime) -> bool:
    """Revoke a token by id; False when there was no live token with that id."""
    with store.unit_of_work() as uow:
        done = uow.tokens.revoke(token_id, at=now)
        if done:
            uow.audit.record(
                at=now, actor=actor, action="token.revoked", target=f"token:{token_id}"
            )
        uow.commit()
    return done


def list_tokens(store: Store) -> list[ApiToken]:
    """Every token record (never the tokens)."""
    with store.unit_of_work() as uow:
        return uow.tokens.all()
