"""The status page in a real headless Chromium, and its Atom feed."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.bootstrap import Runtime, build_runtime
from monitor.demo import running_server
from monitor.domain import Alert, AlertStatus, IncidentState
from monitor.services.accept import accept_delivery
from monitor.services.actions import change_state
from monitor.services.maintenance import declare_maintenance
from monitor.services.publishing import publish_update
from monitor.settings import Settings
from tests.conftest import EXAMPLE_CATALOG, REPO
from tests.support.processes import free_port

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def _alert(name: str, started: datetime, **labels: str) -> Alert:
    return Alert(
        fingerprint=f"{abs(hash((name, tuple(labels.items())))):016x}"[:16],
        source="events",
        status=AlertStatus.FIRING,
        labels={"alertname": name, "severity": "critical", **labels},
        annotations={"summary": f"{name} fired"},
        starts_at=started,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = Settings(
        data_dir=tmp_path,
        catalog_path=EXAMPLE_CATALOG,
        require_auth=False,
        status_cache_seconds=0,
        public_base_url="http://status.example.com",
        # no playbooks: their status updates would change the page between two reads
        playbooks_dir=tmp_path / "no-playbooks",
    )
    runtime = build_runtime(settings)
    store = runtime.store
    alerts = [
        _alert("LedgerDown", now - timedelta(hours=3), component="ledger"),
        _alert("PostgresDown", now - timedelta(minutes=20), service="postgres", role="primary"),
    ]
    for alert in alerts:
        accept_delivery(
            store,
            source="events",
            body=b"{}",
            alerts=[alert],
            rejected=[],
            received_at=now,
            endpoint="test",
        )
        runtime.pipeline.process_pending(now=now)
    change_state(
        store, incident_id=1, state=IncidentState.RESOLVED, by="ops", actor="cli:test", at=now
    )
    publish_update(
        store,
        incident_id=2,
        by="comms",
        actor="cli:test",
        at=now,
        message_en="Card payments and transfers are failing. We are restoring service.",
        message_fr="Les paiements par carte et les virements échouent. "
        "Nous rétablissons le service.",
    )
    declare_maintenance(
        store,
        catalog=runtime.catalog,
        title="Check-in system upgrade",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        components=["departure-control"],
        touchpoints=["check-in"],
        by="ops",
        actor="cli:test",
        now=now,
    )
    with running_server(runtime, host="127.0.0.1", port=free_port()) as url:
        yield url, runtime
    runtime.close()


def test_the_page_shows_states_updates_and_maintenance_in_public_words(
    served: tuple[str, Runtime],
) -> None:
    url, _ = served
    page = httpx.get(f"{url}/").text
    assert "Northwind Group" in page
    assert "Major outage" in page
    assert "Card payments and transfers are failing" in page
    assert "Check-in system upgrade" in page
    assert page.count('class="bars"') == 10
    for internal in ("db-primary-eu", "PostgresDown", "LedgerDown", "ledger"):
        assert internal not in page
    french = httpx.get(f"{url}/", params={"lang": "fr"}).text
    assert "Panne majeure" in french
    assert "Les paiements par carte et les virements échouent" in french
    assert httpx.get(f"{url}/", headers={"accept-language": "fr-FR,fr;q=0.9"}).text == french


def test_the_atom_feed_lists_incident_updates(served: tuple[str, Runtime]) -> None:
    url, _ = served
    response = httpx.get(f"{url}/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(response.content)
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    contents = [e.findtext("a:content", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert any(c and c.startswith("Card payments and transfers are failing") for c in contents)
    assert any(t and t.startswith("Resolved:") for t in titles)
    assert root.findtext("a:id", namespaces=ns) == "http://status.example.com/feed.atom"


def test_chromium_renders_the_page_on_a_phone_sized_screen(
    served: tuple[str, Runtime], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not on PATH; install Debian's package: apt-get install chromium"
    url, _ = served
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", f"{url}/"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert 'id="indicator"' in dom
    assert "Card payments and transfers are failing" in dom
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "status-page-phone.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=390,1800",
            f"--screenshot={shot}",
            f"{url}/?lang=fr",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
