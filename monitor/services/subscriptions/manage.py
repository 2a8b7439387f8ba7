"""Taking subscriptions in: validation, double opt-in and one-click unsubscribe.

An e-mail subscription hears nothing until its owner clicks the link of the
confirmation mail; a webhook subscription likewise until its receiver calls
the confirm URL posted to it, so nobody can point the monitor at someone
else's inbox or endpoint. Webhook targets on loopback or private networks
are refused unless the deployment allows them, so that the public endpoint
cannot be used to reach internal services.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from monitor.catalog import Catalog
from monitor.errors import ConflictError, InputError, NotFoundError
from monitor.services.subscriptions.keys import Keys, alias, digest
from monitor.settings import Settings
from monitor.store import Store
from monitor.store.repositories.subscriptions import Subscription

log = logging.getLogger(__name__)

KINDS = ("email", "webhook")
LANGUAGES = ("en", "fr")
CONFIRM_WITHIN = timedelta(days=7)
RESEND_AFTER = timedelta(hours=1)
"""An unconfirmed address gets at most one confirmation mail in this time."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)

Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True)
class SubscriptionRequest:
    """What someone asks for: where to send and about what."""

    kind: str
    target: str
    touchpoints: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class Subscribed:
    """The answer to a subscription request; the signing secret is shown this once."""

    kind: str
    subscription_id: int | None
    """None when a confirmation was sent to this address recently and none was sent again."""
    signing_secret: str | None = None
    unsubscribe_url: str | None = None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_email(address: str) -> str:
    """The address, normalised (domain in lower case); InputError when it is not one."""
    text = address.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise InputError("target: not an e-mail address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_webhook(url: str, *, allow_private: bool, resolve: Resolver = resolve_host) -> str:
    """The URL when it is http(s) to a public host; InputError saying why otherwise."""
    text = url.strip()
    if len(text) > 2048 or any(ord(c) < 33 for c in text):
        raise InputError("target: not a usable URL")
    try:
        parts = urlsplit(text)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InputError(f"target: not a usable URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise InputError("target: only http and https URLs are accepted")
    if not parts.hostname:
        raise InputError("target: the URL has no host")
    if parts.username or parts.password:
        raise InputError("target: credentials in the URL are refused; verify the signature")
    if not allow_private:
        check_public(parts.hostname, port, resolve=resolve)
    return text


def check_public(host: str, port: int, *, resolve: Resolver = resolve_host) -> None:
    """InputError unless every address of ``host`` is a public one."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        raise InputError(f"target: the host {host!r} does not resolve") from None
    if not addresses:
        raise InputError(f"target: the host {host!r} does not resolve")
    for address in addresses:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            raise InputError("target: loopback, private and reserved addresses are refused")


def subscribe(
    store: Store,
    *,
    catalog: Catalog,
    settings: Settings,
    request: SubscriptionRequest,
    now: datetime,
    resolve: Resolver = resolve_host,
) -> Subscribed:
    """Record an unconfirmed subscription and plan its confirmation message."""
    if request.kind not in KINDS:
        raise InputError(f"kind: must be one of {', '.join(KINDS)}")
    if request.language not in LANGUAGES:
        raise InputError(f"language: must be one of {', '.join(LANGUAGES)}")
    unknown = sorted(
        [f"touchpoint {t}" for t in request.touchpoints if t not in catalog.touchpoints]
        + [f"component {c}" for c in request.components if c not in catalog.components]
    )
    if unknown:
        raise InputError(f"unknown {', '.join(unknown)}")
    if request.kind == "email":
        target = check_email(request.target)
    else:
        allow = settings.subscription_allow_private_targets
        target = check_webhook(request.target, allow_private=allow, resolve=resolve)
    keys = Keys.of(settings.subscription_secret_key)
    ref = secrets.token_hex(16)
    target_digest = digest(f"{request.kind}:{target.lower()}")
    with store.unit_of_work() as uow:
        repo = uow.subscriptions
        if request.kind == "email" and repo.recently_requested(
            target_digest, kind="email", since=now - RESEND_AFTER
        ):
            log.info(
                "subscription request for %s ignored: confirmation pending", alias(target_digest)
            )
            return Subscribed(kind=request.kind, subscription_id=None)
        created = repo.add(
            kind=request.kind,
            target=target,
            target_digest=target_digest,
            language=request.language,
            touchpoints=set(request.touchpoints),
            components=set(request.components),
            secret_ref=ref,
            confirm_digest=digest(keys.confirm_token(ref)),
            unsubscribe_digest=digest(keys.unsubscribe_token(ref)),
            created_at=now,
        )
        repo.add_delivery(
            created.id,
            event_key="confirmation",
            kind="confirmation",
            payload={},
            due_at=now,
            created_at=now,
        )
        uow.commit()
    log.info("subscription %s (%s) awaits confirmation", alias(target_digest), request.kind)
    if request.kind == "email":
        return Subscribed(kind="email", subscription_id=created.id)
    return Subscribed(
        kind="webhook",
        subscription_id=created.id,
        signing_secret=keys.signing_secret(ref),
        unsubscribe_url=unsubscribe_url(settings, keys.unsubscribe_token(ref)),
    )


def confirm(store: Store, *, token: str, now: datetime) -> Subscription:
    """Confirm the subscription this one-time token belongs to."""
    with store.unit_of_work() as uow:
        found = uow.subscriptions.by_confirm_digest(digest(token.strip()))
        if found is None or found.confirmed_at is not None:
            raise NotFoundError("this confirmation link is unknown or was already used")
        if found.unsubscribed_at is not None:
            raise ConflictError("this subscription was cancelled; subscribe again")
        if now - found.created_at > CONFIRM_WITHIN:
            raise NotFoundError("this confirmation link has expired; subscribe again")
        uow.subscriptions.confirm(found.id, at=now)
        uow.commit()
        confirmed = uow.subscriptions.get(found.id)
    assert confirmed is not None
    log.info("subscription %s confirmed", alias(found.target_digest))
    return confirmed


def unsubscribe(store: Store, *, token: str, now: datetime) -> Subscription:
    """End the subscription this token belongs to; doing it twice is harmless."""
    with store.unit_of_work() as uow:
        found = uow.subscriptions.by_unsubscribe_digest(digest(token.strip()))
        if found is None:
            raise NotFoundError("this unsubscribe link is unknown")
        uow.subscriptions.unsubscribe(found.id, at=now)
        uow.commit()
        ended = uow.subscriptions.get(found.id)
    assert ended is not None
    log.info("subscription %s ended", alias(found.target_digest))
    return ended


def list_subscriptions(store: Store, *, limit: int, offset: int = 0) -> list[Subscription]:
    """Subscriptions, newest first."""
    with store.unit_of_work() as uow:
        return uow.subscriptions.page(limit=limit, offset=offset)


def confirm_url(settings: Settings, token: str) -> str:
    """The link that confirms a subscription."""
    return f"{settings.public_base_url.rstrip('/')}/api/v1/subscriptions/confirm?token={token}"


def unsubscribe_url(settings: Settings, token: str) -> str:
    """The one-click link that ends a subscription."""
    base = settings.public_base_url.rstrip("/")
    return f"{base}/api/v1/subscriptions/unsubscribe?token={token}"


def masked_target(subscription: Subscription) -> str:
    """The target as administrators see it: enough to recognise, not to harvest."""
    if subscription.kind == "email":
        local, _, domain = subscription.target.rpartition("@")
        return f"{local[:1]}***@{domain}"
    parts = urlsplit(subscription.target)
    return f"{parts.scheme}://{parts.hostname}/…"
