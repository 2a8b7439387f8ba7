"""Pure rules of subscriptions: debounce of touchpoint states, acceptable targets, signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain import TouchpointState
from monitor.errors import InputError
from monitor.services.subscriptions.keys import Keys, signature
from monitor.services.subscriptions.manage import check_email, check_webhook
from monitor.services.subscriptions.plan import stable_changes
from monitor.store.repositories.touchpoints import StatePeriod

T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
DEBOUNCE = timedelta(minutes=5)
MAJOR = TouchpointState.MAJOR_OUTAGE
PARTIAL = TouchpointState.PARTIAL_OUTAGE
UP = TouchpointState.OPERATIONAL


def period(state: TouchpointState, start: float, end: float | None) -> StatePeriod:
    until = None if end is None else T0 + timedelta(minutes=end)
    return StatePeriod("card-payments", state, T0 + timedelta(minutes=start), until)


def changes(*periods: StatePeriod, now: float) -> list[tuple[TouchpointState, TouchpointState]]:
    found = stable_changes(periods, now=T0 + timedelta(minutes=now), debounce=DEBOUNCE)
    return [(c.previous, c.state) for c in found]


def test_a_flap_shorter_than_the_debounce_is_never_announced() -> None:
    assert changes(period(MAJOR, 0, 2), now=60) == []


def test_an_ongoing_state_is_announced_once_it_has_held() -> None:
    assert changes(period(MAJOR, 0, None), now=4) == []
    assert changes(period(MAJOR, 0, None), now=5) == [(UP, MAJOR)]


def test_recovery_is_announced_once_operational_has_held() -> None:
    assert changes(period(MAJOR, 0, 20), now=23) == [(UP, MAJOR)]
    assert changes(period(MAJOR, 0, 20), now=26) == [(UP, MAJOR), (MAJOR, UP)]


def test_short_dips_inside_an_outage_announce_nothing_more() -> None:
    found = changes(period(MAJOR, 0, 10), period(PARTIAL, 10, 12), period(MAJOR, 12, 30), now=31)
    assert found == [(UP, MAJOR)]
    gap = changes(period(MAJOR, 0, 10), period(MAJOR, 11, 30), now=31)
    assert gap == [(UP, MAJOR)]


def test_a_held_change_of_severity_is_announced() -> None:
    found = changes(period(MAJOR, 0, 10), period(PARTIAL, 10, None), now=16)
    assert found == [(UP, MAJOR), (MAJOR, PARTIAL)]


def _resolver(*addresses: str) -> object:
    return lambda _host, _port: list(addresses)


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1"]
)
def test_private_webhook_targets_are_refused(address: str) -> None:
    with pytest.raises(InputError, match="refused"):
        check_webhook(
            "https://hooks.example.org/x",
            allow_private=False,
            resolve=_resolver(address),  # type: ignore[arg-type]
        )


def test_a_public_webhook_target_is_accepted_and_private_ones_when_allowed() -> None:
    url = "https://hooks.example.org/x"
    assert check_webhook(url, allow_private=False, resolve=_resolver("93.184.216.34")) == url  # type: ignore[arg-type]
    local = "http://127.0.0.1:9000/x"
    assert check_webhook(local, allow_private=True) == local


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def fails(_host: str, _port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(InputError, match="does not resolve"):
        check_webhook("https://nowhere.invalid/x", allow_private=False, resolve=fails)


def test_email_addresses_are_checked_and_their_domain_lower_cased() -> None:
    assert check_email(" Ada@Example.ORG ") == "Ada@example.org"
    for bad in ("ada", "ada@", "@example.org", "a b@example.org", "ada@example.org\nBcc: x@y.z"):
        with pytest.raises(InputError):
            check_email(bad)


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    secret = Keys(b"k").signing_secret("ref")
    header = signature(secret, timestamp=1764090000, body=b'{"a":1}')
    expected = hmac.new(secret.encode(), b'1764090000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1764090000,v1={expected}"
    assert Keys(b"k").signing_secret("ref") != Keys(b"other").signing_secret("ref")
